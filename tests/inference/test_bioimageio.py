"""`n2n export model.zip --sample IMAGE`: a BioImage.IO package that bioimageio.spec validates (format 0.5, no
errors), whose test output onnxruntime and TorchScript reproduce from the test input after the declared pre- and
post-processing (done here in numpy), and that gives n2n's own output for images like its sample."""

import io
import zipfile

import numpy as np
import pytest
import tifffile
import torch
from conftest import assert_one_line, run, scrambled, smooth_image

from n2n_cli.inference import Denoiser
from n2n_cli.inference.bioimageio import FORMAT_VERSION
from n2n_cli.io import probe, write_png
from n2n_cli.io.normalize import Normalization, file_ranges
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint

pytest.importorskip("onnx", reason="exporting needs the onnx extra")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A package of a scrambled `fast` gray model (grid 8), exported with a 12-bit sample in a 16-bit TIFF (offset
    300)."""
    d = tmp_path_factory.mktemp("bioimageio")
    torch.manual_seed(0)
    model = d / "fast-gray.pt"
    torch.save(make_checkpoint(scrambled(create_model("fast", channels=1))), model)
    img = smooth_image(90, 120, 1, 7, np.uint16)[..., 0] // 16 + 300
    img[40:42, 50:52] = 9000  # a bright spot above the range (4 pixels, under 0.05%): passes through
    tifffile.imwrite(d / "cell.tif", img)
    r = run("export", d / "cells.zip", "--model", model, "--sample", d / "cell.tif")
    assert r.exit_code == 0, r.output
    assert "BioImage.IO package" in r.stdout
    return d / "cells.zip", d / "cell.tif", model


def members(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        return {n: z.read(n) for n in z.namelist()}


def npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data))


def test_the_package_holds_what_the_format_asks(package):
    files = members(package[0])
    assert set(files) == {
        "rdf.yaml",
        "README.md",
        "cover.png",
        "test_input.npy",
        "test_output.npy",
        "sample_input.tif",
        "sample_output.tif",
        "weights.onnx",
        "weights.torchscript.pt",
    }
    text = files["rdf.yaml"].decode()
    assert f'format_version: "{FORMAT_VERSION}"' in text and 'license: "MIT"' in text and "Noise2Noise" in text
    assert "10.48550/arXiv.1803.04189" in text
    readme = files["README.md"].decode()
    for needed in ("deepImageJ", "napari", "ilastik", "## Validation", "## Normalization"):
        assert needed in readme
    x, y = npy(files["test_input.npy"]), npy(files["test_output.npy"])
    assert x.shape == y.shape and x.shape[:2] == (1, 1) and x.dtype == y.dtype == np.float32
    assert x.shape[2:] == (90, 120)  # the whole sample: it is under 256 pixels a side, and any size is declared
    text = files["rdf.yaml"].decode()
    assert "halo" not in text and "min: 8" in text and "step: 1" in text  # no halo: n2n's own borders


def describe(zip_path):
    spec = pytest.importorskip("bioimageio.spec", reason="validating needs bioimageio.spec (the bioimageio extra)")
    return spec.load_description(zip_path, perform_io_checks=True)


def test_bioimageio_spec_validates_the_package(package):
    d = describe(package[0])
    summary = d.validation_summary
    errors = [e for det in summary.details for e in det.errors]
    assert summary.status != "failed" and not errors, errors
    assert type(d).__name__ == "ModelDescr" and d.format_version == FORMAT_VERSION
    assert d.weights.onnx is not None and d.weights.torchscript is not None
    assert d.weights.onnx.parent == "torchscript" and d.weights.torchscript.parent is None


def linear(steps) -> tuple[float, float]:
    (step,) = [s for s in steps if s.id != "ensure_dtype"]  # the spec adds casts to float32 around them
    assert step.id == "scale_linear"
    return step.kwargs.gain, step.kwargs.offset


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("runtime", ["onnxruntime", "torchscript"])
def test_the_test_output_is_reproduced_from_the_test_input(package, runtime):
    d = describe(package[0])
    files = members(package[0])
    x, expected = npy(files["test_input.npy"]), npy(files["test_output.npy"])
    gain, offset = linear(d.inputs[0].preprocessing)
    out_gain, out_offset = linear(d.outputs[0].postprocessing)
    assert out_gain == pytest.approx(1 / gain) and out_offset == pytest.approx(-offset / gain)  # the exact inverse
    pre = (x * gain + offset).astype(np.float32)
    if runtime == "onnxruntime":
        ort = pytest.importorskip("onnxruntime")
        session = ort.InferenceSession(files["weights.onnx"], providers=["CPUExecutionProvider"])
        (y,) = session.run(None, {session.get_inputs()[0].name: pre})
    else:
        net = torch.jit.load(io.BytesIO(files["weights.torchscript.pt"]))
        y = net(torch.from_numpy(pre)).detach().numpy()
    np.testing.assert_allclose(y * out_gain + out_offset, expected, rtol=1e-4, atol=1e-2)
    assert expected.max() > out_gain + out_offset + 1000  # the bright spot passed the range's top, unclipped


def test_images_like_the_sample_come_out_as_n2n_s_own_output(package):
    zip_path, sample, model = package
    files = members(zip_path)
    x, y = npy(files["test_input.npy"]), npy(files["test_output.npy"])
    rng = file_ranges(Normalization(), probe(sample))[0]
    net = torch.load(model, weights_only=True)
    m = create_model("fast", channels=1)
    m.load_state_dict(net["state_dict"])
    ours = Denoiser(m, torch.device("cpu"))(x[0].transpose(1, 2, 0).astype(np.uint16), rng)
    assert np.abs(ours[..., 0].astype(float) - y[0, 0]).max() <= 1  # n2n rounds to the file's type


def test_export_refusals_are_one_line(tmp_path):
    write_png(tmp_path / "small.png", smooth_image(6, 6, 1, 0))
    r = run("export", tmp_path / "m.zip")
    assert_one_line(r, 1, "m.zip", "--sample IMAGE")
    r = run("export", tmp_path / "m.tif")
    assert_one_line(r, 1, "m.tif", ".onnx", ".zip")
    r = run("export", tmp_path / "m.onnx", "--sample", tmp_path / "small.png")
    assert_one_line(r, 1, "--sample is for a .zip")
    r = run("export", tmp_path / "m.zip", "--sample", tmp_path / "small.png")
    assert_one_line(r, 1, "small.png", "6x6 is smaller than the 8x8")
    assert not (tmp_path / "m.zip").exists()


def test_a_gray_sample_takes_the_bundled_gray_model(tmp_path):
    write_png(tmp_path / "cell.png", smooth_image(64, 64, 1, 0))
    r = run("export", tmp_path / "m.zip", "--sample", tmp_path / "cell.png")
    assert r.exit_code == 0, r.output
    text = members(tmp_path / "m.zip")["rdf.yaml"].decode()
    assert 'name: "n2n fast-gray denoiser"' in text and '"gray"' in text
    assert "gain: 0.00392156862745098" in text  # 8-bit: x / 255, as n2n reads it
