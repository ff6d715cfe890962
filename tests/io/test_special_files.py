"""Special files never block: a FIFO (or another file that is not a regular one) wherever n2n opens a file, as an
input, a sample, a model, a manifest or a lock, is refused in one line naming it. The hangs run in a subprocess with a
timeout, so that a regression fails instead of blocking the suite."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, assert_one_line, run, smooth_image

from n2n_cli.io import write_png

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def n2n(*args, timeout=120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "n2n_cli", *map(str, args)]
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"n2n {' '.join(map(str, args))} blocked for {timeout} s")


@pytest.fixture
def photos(tmp_path):
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    return tmp_path / "in"


def one_line(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_a_fifo_as_export_sample(tmp_path, models):
    os.mkfifo(tmp_path / "cell.tif")
    r = n2n("export", tmp_path / "m.zip", "--sample", tmp_path / "cell.tif", "-m", models["tiny"])
    one_line(r, "cell.tif: a FIFO (named pipe), not a regular image file")
    assert not (tmp_path / "m.zip").exists()


@pytest.mark.parametrize("name,needle", [(".n2n-output", "manifest"), (".n2n-lock", "lock file")])
def test_a_fifo_where_n2n_keeps_its_manifest_or_lock(tmp_path, models, photos, name, needle):
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / name)
    r = n2n("denoise", photos, tmp_path / "out", "-m", models["tiny"])
    one_line(r, f"{name}: a FIFO (named pipe) where n2n keeps its {needle}; remove it")
    assert sorted(os.listdir(tmp_path / "out")) == [name]


@pytest.mark.parametrize(
    "args,needle",
    [
        (("denoise", "{fifo}", "{tmp}/out", "-m", "{tiny}"), "a FIFO (named pipe), not an image file or a folder"),
        (("denoise", "{photos}", "{tmp}/out", "-m", "{fifo}"), "a FIFO (named pipe), not a regular model file"),
        (("eval", "{fifo}.pt", "-m", "{tiny}"), "a FIFO (named pipe), not a regular tensor file"),
        (("train", "--data", "{fifo}.pt", "-a", "tiny", "-o", "{tmp}/m.pt"), "not a regular tensor file"),
        (("train", "--data", "{tmp}/d.pt", "--init", "{fifo}", "-o", "{tmp}/m.pt"), "not a regular model file"),
    ],
    ids=["denoise-input", "denoise-model", "eval-data", "train-data", "train-init"],
)
def test_fifos_given_as_files_are_named_in_one_line(tmp_path, models, photos, args, needle):
    import torch

    torch.save((torch.zeros(4, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "d.pt")
    os.mkfifo(tmp_path / "f")
    os.mkfifo(tmp_path / "f.pt")
    values = {"fifo": tmp_path / "f", "tmp": tmp_path, "tiny": models["tiny"], "photos": photos}
    r = run(*(a.format(**values) for a in args))
    assert_one_line(r, 1, needle)
