"""Tiny data made on the fly: a few small PNGs and tensor-pair files, untrained checkpoints, and the helpers the tests
share (running the CLI, asserting one-line errors, snapshots of folders). Everything runs on the CPU, seeded.

The tests mirror the package: tests/<subpackage>/test_*.py for n2n_cli/<subpackage>/, tests/docs/ for the README and
the generated docs pages."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from n2n_cli.cli import app
from n2n_cli.io import write_png, write_tiff
from n2n_cli.models import create_model
from n2n_cli.models.checkpoint import make_checkpoint

REPO = Path(__file__).resolve().parent.parent  # the repository's root

torch.set_num_threads(1)  # small tensors: threads cost more than they give, and keep runs repeatable


def smooth_image(h: int, w: int, c: int, seed: int, dtype=np.uint8) -> np.ndarray:
    """A smooth random picture (denoisable), H x W x C."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    chans = [
        0.5 + 0.4 * np.sin(2 * np.pi * (rng.uniform(0.5, 2) * x + rng.uniform(0.5, 2) * y + rng.uniform()))
        for _ in range(c)
    ]
    peak = np.iinfo(dtype).max
    return np.rint(np.stack(chans, axis=2) * peak).astype(dtype)


def scrambled(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """`model` with its all-zero parameters (a fresh `fast` model's output layer, which makes it the identity) drawn
    at random, so that a test comparing outputs sees the whole network at work."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return model


def noisy(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(img + rng.normal(0, sigma, img.shape)), 0, 255).astype(np.uint8)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def clean_dir(tmp_path):
    """Four clean 40x48 RGB PNGs."""
    d = tmp_path / "clean"
    for i in range(4):
        write_png(d / f"img{i}.png", smooth_image(40, 48, 3, i))
    return d


@pytest.fixture
def scene_dir(tmp_path):
    """scenes/<scene>/ with three noisy captures of each of two scenes (gray, 36x36)."""
    d = tmp_path / "scenes"
    for s in range(2):
        base = smooth_image(36, 36, 1, 10 + s).astype(float)
        for k in range(3):
            write_png(d / f"s{s}" / f"cap{k}.png", noisy(base, 10, 100 * s + k))
    return d


def write_noisy_images(folder, count: int, side: int, channels: int, sigma: float = 25, seed: int = 0) -> None:
    """`count` single noisy images (one noisy copy of each smooth picture), no pairs, no clean image."""
    for i in range(count):
        write_png(
            folder / f"n{i}.png", noisy(smooth_image(side, side, channels, seed + i).astype(float), sigma, 50 + i)
        )


@pytest.fixture
def single_dir(tmp_path):
    """Four single noisy 48x48 RGB PNGs (sigma 25)."""
    d = tmp_path / "single"
    write_noisy_images(d, 4, 48, 3)
    return d


@pytest.fixture
def pair_file(tmp_path):
    """A 64-pair course-format training file: two independent noisy copies, uint8 64 x 3 x 16 x 16."""
    g = torch.Generator().manual_seed(0)
    clean = torch.rand(64, 3, 1, 1, generator=g) * 0.6 + 0.2 + torch.zeros(64, 3, 16, 16)
    a = (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    b = (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    path = tmp_path / "train_data.pkl"
    torch.save((a, b), path)
    return path


@pytest.fixture
def val_file(tmp_path):
    """A 16-pair course-format validation file (noisy, clean)."""
    g = torch.Generator().manual_seed(1)
    clean = torch.rand(16, 3, 1, 1, generator=g) * 0.6 + 0.2 + torch.zeros(16, 3, 16, 16)
    n = (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    path = tmp_path / "val_data.pkl"
    torch.save((n, (clean * 255).round().to(torch.uint8)), path)
    return path


def torchrun_worker(data, tmp_path, *extra: str) -> tuple[Path, Path]:
    """Run tests/training/ddp_worker.py on DATA in two CPU processes (torchrun, gloo); returns (checkpoint folder, the
    folder where each rank dumped its final weights). The workers import this tree's n2n_cli, not an installed one."""
    ckpt_dir, dump = tmp_path / "ckpt", tmp_path / "dump"
    ckpt_dir.mkdir()
    dump.mkdir()
    root = str(REPO)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MASTER_ADDR": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(Path(__file__).parent / "training" / "ddp_worker.py"),
        str(data),
        str(ckpt_dir / "m.pt"),
        str(dump),
        *extra,
    ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return ckpt_dir, dump


# --- running the CLI and checking what it did -----------------------------------------------------------------


class Evil:
    """Unpickling this would create a file: the loader must refuse it without running it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


runner = CliRunner()


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    """Untrained `tiny` (RGB) and `seed` checkpoints: made, not trained, so the tests that use them stay fast."""
    d = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    out = {}
    for arch in ("tiny", "seed"):
        out[arch] = d / f"{arch}.pt"
        torch.save(make_checkpoint(create_model(arch), epoch=1, metrics=[{"epoch": 1, "loss": 0.1}]), out[arch])
    return out


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


TRAIN_PROGRESS = ("training ", "resuming ", "estimated ", "epoch ")  # what `n2n train` reports as it goes
RUN_FILES = [".m.pt.n2n-output", "m.curve.png", "m.metrics.jsonl", "m.pt"]  # what `n2n train -o m.pt` leaves


def assert_one_line(r, code: int, *needles: str, notes: int = 0) -> str:
    """Exit `code`, exactly one line on stderr (besides train's progress lines, and `notes` lines starting "note: ")
    holding every needle, no traceback, no warning."""
    assert r.exit_code == code, (r.exit_code, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    err = [line for line in r.stderr.splitlines() if not line.startswith(TRAIN_PROGRESS)]
    assert len([line for line in err if line.startswith("note: ")]) == notes, r.stderr
    err = [line for line in err if not line.startswith("note: ")]
    assert len(err) == 1, r.stderr
    for needle in needles:
        assert needle in err[0], (needle, err[0])
    assert "Traceback" not in r.output and "Warning" not in r.output
    return err[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != ".n2n-output")


def pil_bytes(img: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img if img.shape[2] > 1 else img[..., 0]).save(buf, fmt, **kw)
    return buf.getvalue()


def nan_tiff(path: Path) -> None:
    img = smooth_image(16, 16, 1, 0).astype(np.float32) / 255
    img[3, 4, 0] = np.nan
    write_tiff(path, [img])
