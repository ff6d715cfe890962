"""16-bit microscopy data through denoise, eval and train alike: a dim image is never made worse, 12-bit data in
16-bit files scores as its 8-bit twin, training crops share one range per scene, and the rule travels with the
model (checkpoint config, ONNX metadata)."""

import json

import numpy as np
import pytest
import tifffile
import torch
from conftest import noisy, run, smooth_image

from n2n_cli.data.patches import PatchPairs
from n2n_cli.inference import make_denoiser
from n2n_cli.io import write_png
from n2n_cli.io.normalize import Normalization
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint


def dim_pair(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A clean dim 16-bit picture (values 50-1000) and a noisy capture of it (Poisson-Gaussian)."""
    clean = 50 + smooth_image(96, 96, 1, seed).astype(np.float64) / 255 * 950
    rng = np.random.default_rng(seed)
    capture = rng.poisson(clean / 4) * 4 + rng.normal(0, 10, clean.shape)
    return clean, np.clip(np.rint(capture), 0, 65535).astype(np.uint16)


def psnr16(x: np.ndarray, clean: np.ndarray) -> float:
    return float(10 * np.log10(65535.0**2 / np.mean((x.astype(np.float64) - clean) ** 2)))


def test_a_dim_16bit_image_is_never_made_worse():
    """The issue's case: n2n 0.2 divided by 65535, so the network saw almost black, and made the image worse and
    darker; by its range the bundled model cleans it, keeping its brightness."""
    d = make_denoiser(None, torch.device("cpu"))
    for seed in (3, 4):
        clean, capture = dim_pair(seed)
        out = d(capture)
        assert out.dtype == np.uint16 and out.shape == capture.shape
        assert psnr16(out, clean) > psnr16(capture, clean) + 3
        assert abs(out.mean() / clean.mean() - 1) < 0.005
    d.normalization = Normalization(mode="type")  # the old rule: worse than its input (what the issue saw)
    assert psnr16(d(capture), clean) < psnr16(capture, clean)


def test_denoise_writes_a_16bit_tiff_that_improves_on_its_input(tmp_path):
    clean, capture = dim_pair()
    (tmp_path / "in").mkdir()
    tifffile.imwrite(tmp_path / "in" / "cell.tif", capture[..., 0])
    r = run("denoise", tmp_path / "in" / "cell.tif", tmp_path / "out")
    assert r.exit_code == 0, r.output
    out = tifffile.imread(tmp_path / "out" / "cell.tif")
    assert out.dtype == np.uint16 and out.shape == capture.shape[:2]
    assert psnr16(out[..., None], clean) > psnr16(capture, clean)


def test_12bit_data_in_16bit_files_scores_as_its_8bit_twin(tmp_path):
    """`n2n eval` on captures saved as 8-bit PNGs and on the same as 12-bit values in 16-bit TIFFs (x 16): the
    gains agree (the 16-bit PSNR's peak is 65535, so its absolute value differs, not the gain)."""
    for k in range(2):
        c = smooth_image(64, 64, 1, 20 + k) // 3 + 10  # dim, as fluorescence is
        n = noisy(c.astype(float), 12, k)
        write_png(tmp_path / "clean8" / f"f{k}.png", c)
        write_png(tmp_path / "noisy8" / f"f{k}.png", n)
        (tmp_path / "clean16").mkdir(exist_ok=True)
        (tmp_path / "noisy16").mkdir(exist_ok=True)
        tifffile.imwrite(tmp_path / "clean16" / f"f{k}.tif", c[..., 0].astype(np.uint16) * 16)
        tifffile.imwrite(tmp_path / "noisy16" / f"f{k}.tif", n[..., 0].astype(np.uint16) * 16)
    gains = {}
    for bits in ("8", "16"):
        r = run("eval", tmp_path / f"noisy{bits}", "--clean", tmp_path / f"clean{bits}", "--json")
        assert r.exit_code == 0, r.output
        gains[bits] = json.loads(r.stdout)["gain"]
    assert gains["8"] > 2 and abs(gains["16"] - gains["8"]) < 0.5, gains


def test_training_crops_of_a_scene_share_one_range(tmp_path):
    """Input and target of a 16-bit scene are mapped by one range (its first capture's), so the target's mean
    stays the clean signal in the input's units: a brighter second capture stays brighter by its offset."""
    base = 1500 + smooth_image(32, 32, 1, 0, np.uint16) // 40
    tifffile.imwrite(tmp_path / "a.tif", base[..., 0])
    tifffile.imwrite(tmp_path / "b.tif", base[..., 0] + 100)
    pairs = PatchPairs([[(tmp_path / "a.tif", 0), (tmp_path / "b.tif", 0)]], 16, 1)
    x, y = pairs[(0, 5)]
    r = Normalization().range_of([base])
    first, second = (x, y) if float(x.mean()) < float(y.mean()) else (y, x)
    inside = (first > 0) & (second < 1)  # where neither is clamped
    assert torch.allclose((second - first)[inside], torch.tensor(100 / r.span), atol=1e-5)
    assert float(x.min()) >= 0 and float(x.max()) <= 1


def test_training_from_16bit_captures_records_the_rule(tmp_path):
    for s in range(2):
        base = smooth_image(36, 36, 1, 10 + s).astype(float) / 4
        for k in range(3):
            cap = noisy(base, 5, 10 * s + k).astype(np.uint16) * 16 + 200  # 12-bit with an offset
            (tmp_path / "scenes" / f"s{s}").mkdir(parents=True, exist_ok=True)
            tifffile.imwrite(tmp_path / "scenes" / f"s{s}" / f"c{k}.tif", cap[..., 0])
    out = tmp_path / "m.pt"
    r = run(
        "train",
        "--data",
        tmp_path / "scenes",
        "--val",
        tmp_path / "scenes",
        "-a",
        "tiny",
        "-e",
        "2",
        "-p",
        "16",
        "--workers",
        "0",
        "-o",
        out,
    )
    assert r.exit_code == 0, r.output
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["config"]["normalization"] == Normalization().record()
    assert all(m["val_psnr_estimate"] is None or m["val_psnr_estimate"] > 0 for m in ckpt["metrics"])


def test_float_training_images_in_any_range_train_through_the_normalization(tmp_path):
    """Float images outside [0, 1] were refused for training; the normalization maps them like any other."""
    for k in range(3):
        img = smooth_image(24, 24, 1, k).astype(np.float32) * 40 - 300  # arbitrary units
        (tmp_path / "clean").mkdir(exist_ok=True)
        tifffile.imwrite(tmp_path / "clean" / f"f{k}.tif", img[..., 0])
    r = run(
        "train",
        "--data",
        tmp_path / "clean",
        "--noise",
        "gaussian:25",
        "-a",
        "tiny",
        "-e",
        "1",
        "-p",
        "16",
        "-o",
        tmp_path / "m.pt",
        "--workers",
        "0",
    )
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("kind", ["checkpoint", "onnx"])
def test_the_model_s_rule_is_what_denoise_applies(tmp_path, kind):
    rule = Normalization(low=1.0, high=99.0)
    path = tmp_path / "m.pt"
    torch.save(make_checkpoint(create_model("tiny", channels=1), config={"normalization": rule.record()}), path)
    if kind == "onnx":
        pytest.importorskip("onnxruntime")
        r = run("export", tmp_path / "m.onnx", "--model", path)
        assert r.exit_code == 0, r.output
        path = tmp_path / "m.onnx"
    assert make_denoiser(str(path), torch.device("cpu")).normalization == rule
    assert make_denoiser(None, torch.device("cpu")).normalization == Normalization()  # bundled files: the default
