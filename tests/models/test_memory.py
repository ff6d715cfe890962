"""Each model's declared training memory (Net.train_bytes_per_pixel, used by the memory plan) against what it
really takes: the activations its forward pass saves for the backward pass (every registered model, and a variant
of `fast`), and the peak resident memory of real training runs (`tiny` and `fast`, in fresh processes)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from conftest import REPO

from n2n_cli.models import create_model, model_names

VARIANTS = [(name, {}) for name in model_names()] + [
    ("fast", {"widths": (32, 64), "depth": (1, 1)}),
    ("fast", {"widths": (56, 112, 224), "context": True}),  # the bundled colour model
]


def saved_bytes_per_pixel(model: torch.nn.Module, side: int = 64) -> float:
    """Bytes of the tensors autograd keeps for the backward pass (parameters aside), per input pixel, RGB."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    x = torch.rand(2, 3, side, side)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        ((model(x) - x) ** 2).mean()
    return sum(kept.values()) / (2 * side * side)


@pytest.mark.parametrize("name,kwargs", VARIANTS, ids=[f"{n}{'-variant' if k else ''}" for n, k in VARIANTS])
def test_every_model_declares_its_training_memory(name, kwargs):
    """The declared bytes cover the saved activations, plus the step's transients and the batch (1.1x to 2x)."""
    model = create_model(name, **kwargs)
    saved = saved_bytes_per_pixel(model)
    assert 1.1 * saved <= model.train_bytes_per_pixel <= 2 * saved, (name, saved, model.train_bytes_per_pixel)


# the child reports its own peak: VmHWM of its memory map (ru_maxrss would also count the parent's peak at the fork)
CHILD = """
import atexit, sys
report = sys.argv.pop(1)
hwm = lambda: next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
atexit.register(lambda: open(report, "w").write(hwm()))
from n2n_cli.cli import main
sys.argv[0] = "n2n"
main()
"""


def peak_rss(args: list[str], report) -> int:
    """Peak resident bytes of `n2n ARGS` in a fresh process (Linux's VmHWM, in KiB)."""
    env = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-c", CHILD, str(report), *args]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return int(report.read_text()) * 1024


@pytest.mark.slow  # fresh processes
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("arch,batch", [("fast", 96), ("tiny", 192)])
def test_the_plan_is_within_a_factor_of_a_real_runs_peak(tmp_path, arch, batch):
    """Two real runs that differ only in batch size: the difference of their peaks is what the batch costs, which
    the plan predicts from the model's declared bytes per pixel; it must hold within a factor of 1.5 either way."""
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(batch, 3, 64, 64, generator=g) * 255).to(torch.uint8)
    torch.save((a, a.flip(0)), tmp_path / "d.pkl")
    base = ["train", "--data", tmp_path / "d.pkl", "-a", arch, "-e", "1", "--no-mmap", "--device", "cpu"]
    peaks = [
        peak_rss([*map(str, base), "-b", str(b), "-o", str(tmp_path / f"m{b}.pt")], tmp_path / f"peak{b}")
        for b in (1, batch)
    ]
    measured = peaks[1] - peaks[0]
    assert measured > 0, peaks
    predicted = (batch - 1) * 64 * 64 * create_model(arch).train_bytes_per_pixel
    assert 1 / 1.5 <= predicted / measured <= 1.5, (arch, predicted / 2**20, measured / 2**20)
