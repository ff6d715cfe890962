"""Where the work runs: `auto` takes CUDA, then Apple's MPS, then the CPU; a GPU asked for and absent is one line.
Tested on the CPU with the availability of each GPU kind made up."""

import pytest
import torch
from conftest import assert_one_line, run

from n2n_cli import device
from n2n_cli.errors import UserError


@pytest.fixture
def gpus(monkeypatch):
    def have(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return have


@pytest.mark.parametrize(
    "cuda,mps,expected", [(True, True, "cuda"), (False, True, "mps"), (True, False, "cuda"), (False, False, "cpu")]
)
def test_auto_picks_cuda_then_mps_then_the_cpu(gpus, cuda, mps, expected):
    gpus(cuda, mps)
    assert device.pick_device("auto").type == expected
    assert device.is_gpu(device.pick_device("auto")) == (expected != "cpu")


def test_mps_when_asked_and_there(gpus):
    gpus(False, True)
    assert device.pick_device("mps") == torch.device("mps")


def test_mps_asked_for_and_absent_is_one_line(gpus, pair_file, clean_dir, tmp_path):
    gpus(False, False)
    with pytest.raises(UserError, match="--device mps: no Apple-silicon GPU"):
        device.pick_device("mps")
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "--device", "mps", "-o", tmp_path / "m.pt")
    assert_one_line(r, 1, "--device mps", "Apple-silicon GPU", "--device cpu")
    r = run("denoise", clean_dir, tmp_path / "out", "--device", "mps")
    assert_one_line(r, 1, "--device mps")


def test_denoising_runs_in_float32_unless_bf16_is_asked(monkeypatch):
    """A predictor computes in float32 (bf16 costs a denoised image's fine detail: experiments.cpu_bf16); with
    `bf16` it takes autocast where the device computes bf16 (here a CPU said to have the units)."""
    import numpy as np

    from n2n_cli.inference.backends import TorchPredictor
    from n2n_cli.models import create_model

    monkeypatch.setattr(device, "cpu_has_bf16", lambda: True)
    model, seen = create_model("tiny"), []
    model.register_forward_pre_hook(lambda *_: seen.append(torch.is_autocast_enabled("cpu")))
    predictor = TorchPredictor(model, torch.device("cpu"))
    x = np.zeros((1, 3, 8, 8), np.float32)
    predictor(x)
    predictor.bf16 = True
    predictor(x)
    assert seen == [False, True]
