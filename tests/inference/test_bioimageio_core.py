"""A BioImage.IO package run by bioimageio.core (the `bioimageio` extra's pinned set) as napari and `bioimageio test`
run it: the test passes, and the whole-image prediction equals `n2n denoise` of the same image within 1 level
everywhere, borders included. CI runs this file in a venv of its own (`.ci/run`): the `test` extra leaves
bioimageio.core out, to keep the README's install lean."""

import importlib
import os

import numpy as np
import pytest
import tifffile
import torch
from conftest import run, scrambled, smooth_image

from n2n_cli.io import read_image, write_png
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint

pytest.importorskip("onnxruntime")
if os.environ.get("N2N_BIOIMAGEIO"):  # CI's bioimageio venv: a missing package fails the run
    core = importlib.import_module("bioimageio.core")
else:
    core = pytest.importorskip("bioimageio.core", reason="needs the bioimageio extra: pip install '.[bioimageio]'")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")


def _model(path, channels, **kwargs):
    torch.manual_seed(0)
    torch.save(make_checkpoint(scrambled(create_model("fast", channels=channels, **kwargs))), path)
    return path


def _capture(path):
    """A 12-bit capture in a 16-bit TIFF, 70 x 93 (off the network's grid of 8), offset 300, a bright spot."""
    img = smooth_image(70, 93, 1, 7, np.uint16)[..., 0] // 16 + 300
    img = np.clip(img + np.random.default_rng(0).normal(0, 40, img.shape), 0, 65535).astype(np.uint16)
    img[30:32, 40:42] = 9000
    tifffile.imwrite(path, img)
    return path


def _photo(path):
    """An 8-bit RGB photo, 61 x 85."""
    img = np.clip(smooth_image(61, 85, 3, 3) + np.random.default_rng(1).normal(0, 20, (61, 85, 3)), 0, 255)
    write_png(path, img.astype(np.uint8))
    return path


def _predict(package, image: np.ndarray) -> np.ndarray:
    """bioimageio.core's prediction of a whole H x W x C image, as napari's users call it."""
    out = core.predict(model=str(package), inputs=image.transpose(2, 0, 1)[None].astype(np.float32))
    return np.asarray(out.members["denoised"].data)[0].transpose(1, 2, 0)


@pytest.mark.parametrize("kind", ["capture", "photo"])
def test_the_whole_image_prediction_is_n2n_denoise_s_output(tmp_path, kind):
    if kind == "capture":
        model, sample = _model(tmp_path / "gray.pt", 1), _capture(tmp_path / "cell.tif")
    else:
        model, sample = _model(tmp_path / "rgb.pt", 3, context=True), _photo(tmp_path / "photo.png")
    r = run("export", tmp_path / "m.zip", "--model", model, "--sample", sample)
    assert r.exit_code == 0, r.output
    r = run("denoise", sample, tmp_path / "out", "--model", model, "--device", "cpu")
    assert r.exit_code == 0, r.output
    image = read_image(sample)
    ours = read_image(tmp_path / "out" / (sample.stem + (".tif" if kind == "capture" else ".png"))).astype(float)
    theirs = _predict(tmp_path / "m.zip", image)
    assert theirs.shape == ours.shape
    diff = np.abs(np.rint(theirs) - ours)
    assert diff.max() <= 1, (diff.max(), np.argwhere(diff > 1)[:5])  # borders included
    assert np.abs(ours - image).max() > 5  # the network changed the image: the comparison means something


def test_bioimageio_test_passes(tmp_path):
    sample = _capture(tmp_path / "cell.tif")
    r = run("export", tmp_path / "m.zip", "--model", _model(tmp_path / "gray.pt", 1), "--sample", sample)
    assert r.exit_code == 0, r.output
    summary = core.test_model(str(tmp_path / "m.zip"))
    failed = [(d.name, [e.msg for e in d.errors]) for d in summary.details if d.status == "failed"]
    assert summary.status == "passed", failed
