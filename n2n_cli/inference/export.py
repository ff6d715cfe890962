"""ONNX export: any registered model, with dynamic batch, height and width, for `n2n denoise --model x.onnx` (and
inside a BioImage.IO package: bioimageio.py).

The models pad to their own multiple with arithmetic on the input's shape (no Python branch on it), so the exported
graph takes any size; tests compare it with torch at odd sizes.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..io import atomic_write
from ..io.atomic import Rule
from ..io.normalize import Normalization
from ..models import contract

OPSET = 17
MULTIPLE_KEY = "n2n_multiple"  # metadata: the grid the network pads to, so tiles start on it (tiling.layout)
NORMALIZATION_KEY = "n2n_normalization"  # metadata: the checkpoint's normalization rule (io/normalize.py), as JSON


def export_onnx(
    model: nn.Module, path: str | Path, normalization: Normalization | None = None, writes: Rule | None = None
) -> None:
    """Write `model` (in eval mode, float32, on the CPU) as ONNX with input `image` N x C x H x W in [0, 1] (a file
    there replaced as `writes` allows); the metadata records its grid and its normalization rule, which `n2n denoise
    --model x.onnx` applies."""
    rule = normalization or Normalization()
    _, multiple, _ = contract(model)
    props = {MULTIPLE_KEY: str(multiple), NORMALIZATION_KEY: json.dumps(rule.record())}
    graph = onnx_graph(model, props)
    atomic_write(Path(path), lambda f: f.write(graph), writes)


def onnx_graph(model: nn.Module, props: dict[str, str] | None = None) -> bytes:
    """`model` (float32, on the CPU) traced to ONNX: input `image`, output `denoised`, N x C x H x W, dynamic
    batch, height and width; `props`: metadata."""
    try:
        import onnx  # the exporter needs it too; a clear message beats its ImportError
    except ImportError:
        raise UserError("exporting to ONNX needs the onnx package, an n2n dependency: pip install onnx") from None
    model = model.float().cpu().eval()
    example = torch.rand(1, contract(model)[0], 64, 64)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            buf,  # type: ignore[arg-type]  # a file object is accepted
            input_names=["image"],
            output_names=["denoised"],
            dynamic_axes={
                "image": {0: "batch", 2: "height", 3: "width"},
                "denoised": {0: "batch", 2: "height", 3: "width"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    graph = onnx.load_from_string(buf.getvalue())
    if props:
        onnx.helper.set_model_props(graph, props)
    return bytes(graph.SerializeToString())
