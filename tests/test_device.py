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
