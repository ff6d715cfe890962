"""NaN never reaches a checkpoint: a diverging run stops with one line and keeps the last good epoch; bad pixels in
training data are refused in one line, also from loader processes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import assert_one_line, lines, nan_tiff, run, smooth_image

from n2n_cli.io import write_tiff


@pytest.fixture
def good(tmp_path, models):
    """A one-epoch `seed` checkpoint to resume, and data for it (four batches an epoch)."""
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(64, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    torch.save((a, a.flip(0)), tmp_path / "d.pkl")
    (tmp_path / "good.pt").write_bytes(models["seed"].read_bytes())
    return tmp_path


@pytest.fixture
def any_lr(monkeypatch):
    """Learning rates above defaults.LR_MAX are refused now; these tests make runs diverge with them."""
    monkeypatch.setattr("n2n_cli.defaults.LR_MAX", float("inf"))


def test_a_huge_learning_rate_diverges_without_a_checkpoint(good, any_lr):
    r = run("train", "--data", good / "d.pkl", "-a", "seed", "-e", "2", "--lr", "1e9", "-o", good / "new.pt")
    assert_one_line(r, 1, "training diverged", "no checkpoint was written", "lower --lr")
    assert not (good / "new.pt").exists()


def test_resume_that_diverges_keeps_the_good_checkpoint(good, any_lr):
    before = (good / "good.pt").read_bytes()
    r = run(
        "train",
        "--data",
        good / "d.pkl",
        "-e",
        "3",
        "--lr",
        "1e30",
        "-o",
        good / "good.pt",
        "--resume",
        good / "good.pt",
    )
    assert_one_line(r, 1, "training diverged", f"{good / 'good.pt'} still holds epoch 1", notes=1)
    assert "records no fingerprint" in r.stderr  # a checkpoint of n2n 0.2: resumed with a note
    assert (good / "good.pt").read_bytes() == before


def test_weights_broken_by_the_last_step_never_replace_a_checkpoint(good, monkeypatch):
    """The loss of a step is measured before its update: the last update of an epoch can turn the weights NaN
    while every loss was finite. The checkpoint must not take them."""
    from n2n_cli.training import Diverged, TrainConfig, Trainer

    class PoisonAdam(torch.optim.Adam):
        steps = 0

        def step(self, closure=None):
            out = super().step(closure)
            PoisonAdam.steps += 1
            if PoisonAdam.steps == 4:  # the last of the epoch's four steps: its loss was finite
                with torch.no_grad():
                    self.param_groups[0]["params"][0].fill_(float("nan"))
            return out

    before = (good / "good.pt").read_bytes()
    monkeypatch.setattr(torch.optim, "Adam", PoisonAdam)
    cfg = TrainConfig(
        data=str(good / "d.pkl"),
        epochs=2,
        batch_size=16,
        out=str(good / "good.pt"),
        device="cpu",
        workers=0,
        resume=str(good / "good.pt"),
    )
    with pytest.raises(Diverged, match="the weights became NaN or infinite in epoch 2 .*good.pt still holds epoch 1"):
        Trainer(cfg).fit()
    assert (good / "good.pt").read_bytes() == before


def test_nan_pixels_in_a_training_folder_are_one_line_from_loader_workers(tmp_path):
    for k in range(3):
        img = smooth_image(24, 24, 1, k).astype(np.float32) / 255
        write_tiff(tmp_path / "clean" / f"f{k}.tif", [img])
    nan_tiff(tmp_path / "clean" / "f1.tif")
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
        "2",
    )
    assert r.exit_code == 1, r.output
    assert lines(r.stderr)[-1] == f"error: {tmp_path / 'clean' / 'f1.tif'}: frame 0 holds NaN or infinite values"
    assert "Traceback" not in r.output and "worker" not in r.output
    assert not (tmp_path / "m.pt").exists()
