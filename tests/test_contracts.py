"""Contracts that users and packagers rely on: entry points, a light --help, the wheel carrying its weights, and
the behaviours of noise, EXIF, tiling and checkpoint errors."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import scrambled, smooth_image
from PIL import Image

from n2n_cli import defaults
from n2n_cli.errors import CheckpointError
from n2n_cli.inference import Denoiser
from n2n_cli.io import probe, read_image
from n2n_cli.models import create_model
from n2n_cli.models.bundled import load_model
from n2n_cli.models.checkpoint import load_checkpoint, make_checkpoint
from n2n_cli.noise import parse_noise

REPO = Path(__file__).resolve().parent.parent


def test_python_dash_m_entry_point_answers_help():
    r = subprocess.run([sys.executable, "-m", "n2n_cli", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "denoise" in r.stdout and "train" in r.stdout


def test_help_imports_no_torch():
    code = (
        "import sys\nsys.argv = ['n2n', '--help']\nfrom n2n_cli.cli import main\ntry:\n    main()\n"
        "except SystemExit:\n    pass\nprint('TORCH', 'torch' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "TORCH False" in r.stdout, r.stdout + r.stderr


def test_a_built_wheel_carries_and_finds_the_bundled_weights(tmp_path):
    pytest.importorskip("hatchling")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    wheel = next((tmp_path / "dist").glob("n2n_cli-*.whl"))
    assert f"n2n_cli/weights/{defaults.BUNDLED}" in zipfile.ZipFile(wheel).namelist()
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:  # what pip install does with a pure-Python wheel
        z.extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import n2n_cli; from n2n_cli.models.bundled import "
        "bundled_dir, load_model; load_model(None); print(n2n_cli.__file__); print(bundled_dir())"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    module_file, weights_dir = r.stdout.split()
    assert module_file.startswith(str(site)) and weights_dir.startswith(str(site))


def test_mix_noise_is_half_gaussian_half_signal_dependent():
    clean = torch.cat([torch.full((64, 1, 32, 32), 0.1), torch.full((64, 1, 32, 32), 0.8)], dim=3)
    n = parse_noise("mix:25")
    noisy = n.add(clean, torch.Generator().manual_seed(0))
    err = noisy - clean
    assert abs(err.mean().item()) < 2e-3  # unbiased before clipping
    dark, bright = err[..., :32].flatten(1).std(1), err[..., 32:].flatten(1).std(1)
    ratio = bright / dark
    assert (ratio < 1.2).sum() > 16 and (ratio > 1.8).sum() > 16  # Gaussian images flat, Poisson ones grow
    assert ((dark * 255 - 25).abs() < 3).sum() > 16


def test_exif_rotation_is_applied_and_probed(tmp_path):
    img = smooth_image(20, 30, 3, 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=95)
    info = probe(tmp_path / "r.jpg")
    out = read_image(tmp_path / "r.jpg")
    assert (info.height, info.width) == (30, 20) and out.shape == (30, 20, 3)
    err = lambda ref: np.abs(out.astype(int) - ref.astype(int)).mean()  # noqa: E731
    assert err(np.rot90(img, -1)) < err(np.rot90(img, 1)) / 3  # turned the right way (JPEG loss aside)


def test_predict_on_images_larger_than_a_tile_matches_untiled():
    model = create_model("seed")
    x = torch.rand(2, 3, 90, 75, generator=torch.Generator().manual_seed(0))
    whole = Denoiser(model, torch.device("cpu"), tile=1024).predict(x)
    tiled = Denoiser(model, torch.device("cpu"), tile=40, overlap=16).predict(x)
    assert tiled.shape == x.shape
    assert (whole - tiled).abs().max() < 1e-5  # seed's receptive field (5 px) fits inside the ignored margin


def test_checkpoint_of_a_newer_format_is_refused(tmp_path):
    ck = make_checkpoint(create_model("tiny"))
    torch.save({**ck, "format": 99}, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(tmp_path / "new.pt")


def test_weights_of_another_architecture_are_refused(tmp_path):
    ck = make_checkpoint(create_model("unet"))
    torch.save({**ck, "model": "seed"}, tmp_path / "mislabelled.pt")
    with pytest.raises(CheckpointError, match="do not fit model 'seed'"):
        load_model(tmp_path / "mislabelled.pt")


def test_model_variants_are_rebuilt_from_their_checkpoint(tmp_path):
    model = scrambled(create_model("fast", channels=1, widths=(8, 16), depth=(1, 1)))
    torch.save(make_checkpoint(model), tmp_path / "v.pt")
    back, ck = load_model(tmp_path / "v.pt")
    assert ck["model_kwargs"] == {"channels": 1, "widths": (8, 16), "depth": (1, 1)}
    x = torch.rand(1, 1, 13, 17)
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
