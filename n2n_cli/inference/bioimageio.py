"""BioImage.IO model packages (`n2n export model.zip --sample IMAGE`), so that Fiji (deepImageJ), napari and ilastik
run n2n models: a zip with rdf.yaml (model description format 0.5), ONNX and TorchScript weights, a test input and
its expected output cut from the user's sample, a cover picture, a README and the Noise2Noise citation.

Normalization. n2n maps each file by its own range (io/normalize.py), and the format's post-processing cannot
invert a range found per image (its `scale_range` normalizes a tensor; nothing scales an output back by an input's
percentiles). So the package records one FIXED range, the sample's by the model's own rule: pre-processing
`scale_linear` x' = (x - lo) / (hi - lo), post-processing its exact inverse y (hi - lo) + lo, and inside the graphs
the network runs on clamp(x', 0, 1) with what the clamp took added back, as `n2n denoise` does. Images taken with
the sample's microscope settings come out as n2n's own output; for others, n2n itself finds each image's range.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import __version__
from ..errors import ImageError
from ..io import atomic_write, match_channels, probe, read_frame
from ..io.atomic import Rule
from ..io.normalize import Normalization, Range, file_ranges
from ..models import contract
from .denoiser import MIN_SIDE
from .export import OPSET, onnx_graph
from .model_card import readme, yaml_text

FORMAT_VERSION = "0.5.14"  # the current model description format (bioimageio.spec 0.5.14)
TEST_SIDE = 256  # the test input: a centre crop of the sample of at most this side
CITATION = {
    "text": "Lehtinen J, Munkberg J, Hasselgren J, Laine S, Karras T, Aittala M, Aila T. Noise2Noise: Learning Image "
    "Restoration without Clean Data. Proceedings of the 35th International Conference on Machine Learning "
    "(ICML), PMLR 80:2965-2974, 2018.",
    "doi": "10.48550/arXiv.1803.04189",
}


class Packaged(nn.Module):
    """What the package's weights compute on the pre-processed input x': the network on clamp(x', 0, 1), its
    output clamped as n2n's predictor clamps it, plus what the input's clamp took (n2n's passthrough)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.channels = contract(net)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inside = x.clamp(0, 1)
        return self.net(inside).clamp(0, 1) + (x - inside)


@dataclass
class Sample:
    """The crop of the user's sample the package is tested and shown with, and the range it records."""

    name: str
    pixels: np.ndarray  # 1 x C x H x W float32, in the sample file's own units
    rng: Range
    dtype: str  # the sample file's sample type


def read_sample(path: Path, channels: int, min_size: int, rule: Normalization) -> Sample:
    """A centre crop of `path`'s middle frame, at most TEST_SIDE on each side, read with `channels` channels, and
    the file's range by `rule` (the frame's channel's, for a C axis)."""
    info = probe(path)
    frame = info.frames // 2
    smallest = size_min(min_size)
    if min(info.height, info.width) < smallest:
        raise ImageError(
            f"{path}: {info.width}x{info.height} is smaller than the {smallest}x{smallest} the package declares "
            "as the model's smallest input; give a larger sample"
        )
    rng = file_ranges(rule, info)[frame]
    img = match_channels(read_frame(path, frame, info), channels)
    h, w = (min(TEST_SIDE, s) for s in (info.height, info.width))
    y, x = (info.height - h) // 2, (info.width - w) // 2
    crop = img[y : y + h, x : x + w].astype(np.float32).transpose(2, 0, 1)[None]
    return Sample(path.name, np.ascontiguousarray(crop), rng, info.dtype.name)


def size_min(min_size: int) -> int:
    """The smallest input side the package declares: what the network takes, and what n2n's denoiser pads smaller
    images to (it edge-pads them; a package cannot)."""
    return max(min_size, MIN_SIDE)


def export_bioimageio(
    net: nn.Module,
    ckpt: dict[str, Any],
    model_path: Path,
    sample_path: Path,
    out: str | Path,
    writes: Rule | None = None,
    on_stage: Callable[[str], None] = lambda what: None,
) -> dict[str, Any]:
    """Write the package for `net` (its checkpoint `ckpt`, read from `model_path`) to `out` (a file there replaced as
    `writes` allows), with test tensors and the fixed range from `sample_path`; `on_stage(what)` says each stage as
    it starts. Returns the rdf written."""
    on_stage(f"reading the sample {Path(sample_path).name}")
    net = net.float().cpu().eval()
    channels, _, min_size = contract(net)
    rule = Normalization.from_record(ckpt.get("config", {}).get("normalization"))
    sample = read_sample(Path(sample_path), channels, min_size, rule)
    packaged = Packaged(net).eval()
    x = (sample.pixels - sample.rng.lo) / sample.rng.span
    with torch.inference_mode():
        y = packaged(torch.from_numpy(x)).numpy()
    expected = (y * sample.rng.span + sample.rng.lo).astype(np.float32)
    on_stage("exporting the ONNX weights")
    onnx_bytes = onnx_graph(packaged)
    on_stage("tracing the TorchScript weights")
    files = {
        "weights.onnx": onnx_bytes,
        "weights.torchscript.pt": _torchscript(packaged),
        "test_input.npy": _npy(sample.pixels),
        "test_output.npy": _npy(expected),
        "sample_input.tif": _tiff(sample.pixels),
        "sample_output.tif": _tiff(expected),
        "cover.png": _cover(sample.pixels, expected, sample.rng),
    }
    rdf = _rdf(net, ckpt, model_path, sample, files, size_min(min_size))
    files["README.md"] = readme(rdf, ckpt, sample.name, sample.rng, sample.dtype).encode()
    files["rdf.yaml"] = yaml_text(rdf).encode()

    def write(f: Any) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            for name in ("rdf.yaml", *sorted(n for n in files if n != "rdf.yaml")):
                z.writestr(name, files[name])

    on_stage(f"writing {Path(out).name}")
    atomic_write(out, write, writes)
    return rdf


def _rdf(
    net: nn.Module,
    ckpt: dict[str, Any],
    model_path: Path,
    sample: Sample,
    files: dict[str, bytes],
    smallest: int,
) -> dict[str, Any]:
    channels = contract(net)[0]
    names = ["gray"] if channels == 1 else ["red", "green", "blue"]
    lo, span = sample.rng.lo, sample.rng.span
    size = {"min": smallest, "step": 1}  # the network pads to its grid itself

    def space(axis: str, out: bool) -> dict[str, Any]:
        if out:  # no halo: see the module's docstring
            return {"type": "space", "id": axis, "size": {"tensor_id": "image", "axis_id": axis}}
        return {"type": "space", "id": axis, "size": size}

    def axes(out: bool) -> list[dict[str, Any]]:
        return [{"type": "batch"}, {"type": "channel", "channel_names": names}, space("y", out), space("x", out)]

    pre = [{"id": "scale_linear", "kwargs": {"gain": 1.0 / span, "offset": -lo / span + 0.0}}]  # no -0.0
    pre = pre if (lo, span) != (0, 1) else []
    post = [{"id": "scale_linear", "kwargs": {"gain": span, "offset": lo}}] if (lo, span) != (0, 1) else []
    stem = "".join(c if c.isalnum() or c in "_-" else "-" for c in model_path.stem)
    return {
        "format_version": FORMAT_VERSION,
        "type": "model",
        "name": f"n2n {stem} denoiser",
        "description": (
            f"Noise2Noise denoiser ({ckpt['model']}, {'gray' if channels == 1 else 'RGB'}) trained with n2n "
            f"{ckpt.get('version') or ''}; input and output in the units of images like {sample.name}, mapped by "
            f"the fixed range {lo:g}-{lo + span:g} recorded from it."
        ),
        "authors": [{"name": "n2n"}],
        "cite": [CITATION],
        "license": "MIT",
        "documentation": {"source": "README.md"},
        "covers": [{"source": "cover.png"}],
        "tags": ["denoising", "noise2noise", "n2n", "2d", "fluorescence-light-microscopy"],
        "inputs": [
            {
                "id": "image",
                "description": "noisy image, in the units of the sample's file",
                "axes": axes(False),
                "test_tensor": _file("test_input.npy", files),
                "sample_tensor": _file("sample_input.tif", files),
                "data": {"type": "float32"},
                "preprocessing": pre,
            }
        ],
        "outputs": [
            {
                "id": "denoised",
                "description": "denoised image, in the input's units",
                "axes": axes(True),
                "test_tensor": _file("test_output.npy", files),
                "sample_tensor": _file("sample_output.tif", files),
                "data": {"type": "float32"},
                "postprocessing": post,
            }
        ],
        "weights": {
            "torchscript": {
                **_file("weights.torchscript.pt", files),
                "pytorch_version": torch.__version__.split("+")[0],
                "comment": "traced from the n2n checkpoint",
            },
            "onnx": {**_file("weights.onnx", files), "opset_version": OPSET, "parent": "torchscript"},
        },
        "config": {
            "n2n": {
                "version": __version__,
                "model": ckpt["model"],
                "model_kwargs": dict(ckpt.get("model_kwargs", {})),
                "normalization": Normalization.from_record(ckpt.get("config", {}).get("normalization")).record(),
                "range": {"lo": lo, "hi": lo + span, "from": sample.name, "sample_type": sample.dtype},
            }
        },
    }


def _file(name: str, files: dict[str, bytes]) -> dict[str, str]:
    return {"source": name, "sha256": hashlib.sha256(files[name]).hexdigest()}


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _tiff(a: np.ndarray) -> bytes:
    """A sample tensor for people to look at (batch, channel, y, x), as a float32 TIFF."""
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, a, photometric="minisblack", metadata=None)
    return buf.getvalue()


def _torchscript(model: nn.Module) -> bytes:
    example = torch.rand(1, contract(model)[0], 64, 64)
    buf = io.BytesIO()
    with warnings.catch_warnings():  # torch calls TorchScript deprecated; Java tools (deepImageJ) still run it
        warnings.simplefilter("ignore")
        with torch.inference_mode(False), torch.no_grad():
            traced = torch.jit.trace(model, example, check_trace=False)
        torch.jit.save(traced, buf)
    return buf.getvalue()


def _cover(noisy: np.ndarray, denoised: np.ndarray, rng: Range) -> bytes:
    """noisy | denoised side by side (2:1), shown in the sample's range, as an 8-bit PNG."""
    from PIL import Image

    def shown(a: np.ndarray) -> np.ndarray:
        t = np.clip((a[0].transpose(1, 2, 0) - rng.lo) / rng.span, 0, 1)
        return np.rint(t * 255).astype(np.uint8)

    pic = np.concatenate([shown(noisy), shown(denoised)], axis=1)
    w = noisy.shape[-1]
    pic[:, w - 1 : w + 1] = 255  # a white line between the two
    buf = io.BytesIO()
    Image.fromarray(pic[..., 0] if pic.shape[2] == 1 else pic).save(buf, "PNG")
    return buf.getvalue()
