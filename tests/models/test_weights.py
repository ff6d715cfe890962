"""The bundled weights: every file loads and denoises, and a built wheel carries and finds them."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from conftest import REPO, noisy, smooth_image

from n2n_cli import defaults
from n2n_cli.inference import Denoiser, make_denoiser
from n2n_cli.models.bundled import bundled_dir, bundled_files, load_model
from n2n_cli.models.checkpoint import load_checkpoint


def test_default_weights_are_bundled():
    assert (bundled_dir() / defaults.BUNDLED).is_file()
    assert load_checkpoint(bundled_dir() / defaults.BUNDLED_GRAY)["model_kwargs"]["channels"] == 1
    assert make_denoiser(None, torch.device("cpu")).gray is not None  # gray images take it by default


@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: p.name)
def test_every_bundled_file_loads_and_denoises(path):
    ck = load_checkpoint(path)
    assert "optimizer" not in ck  # bundles carry weights and provenance only
    model, _ = load_model(path)
    clean = smooth_image(64, 64, ck["model_kwargs"]["channels"], 0)
    noisy_img = noisy(clean.astype(float), 25, 1)
    out = Denoiser(model, torch.device("cpu"))(noisy_img)
    err = lambda x: np.mean((x.astype(float) - clean) ** 2)  # noqa: E731
    assert err(out) < err(noisy_img) / 2


def test_bare_bundled_name_resolves():
    model, ck = load_model(defaults.BUNDLED)
    assert ck["model"] == "fast"
    _, old = load_model("unet-blind-rgb.pt")  # the earlier default still ships, by its bare name
    assert old["model"] == "unet"


@pytest.mark.slow  # several processes
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
