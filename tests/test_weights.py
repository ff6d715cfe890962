import numpy as np
import pytest
import torch
from conftest import noisy, smooth_image

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
