"""The one write rule (io/outputs.py, io/atomic.py, io/manifest.py): whether a file may be replaced is decided at the
moment of the rename, a file that appeared since is kept, and every file is listed in its manifest before it takes
its name, so a run killed at any moment is rerun with nothing in its way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO, pil_bytes, run, smooth_image, snapshot, written

from n2n_cli.errors import UserError
from n2n_cli.inference import Denoiser
from n2n_cli.inference.files import denoise_files
from n2n_cli.inference.manifest import MARKER, denoise_outputs, file_sha256, folder_manifest
from n2n_cli.inference.plan import plan_outputs
from n2n_cli.io import atomic as atomic_module
from n2n_cli.io import atomic_write_bytes, write_png
from n2n_cli.io.atomic import NewOnly
from n2n_cli.io.manifest import Manifest
from n2n_cli.models import create_model


def test_a_file_that_appears_while_writing_is_kept(tmp_path):
    target = tmp_path / "t.bin"

    def write(f):
        target.write_bytes(b"the user's, saved meanwhile")
        f.write(b"n2n's")

    with pytest.raises(UserError, match="a file appeared there while n2n ran; it is kept"):
        from n2n_cli.io import atomic_write

        atomic_write(target, write, NewOnly())
    assert target.read_bytes() == b"the user's, saved meanwhile"
    assert os.listdir(tmp_path) == ["t.bin"]  # no temp file left


def test_an_owned_file_is_replaced_and_a_users_file_refused_at_the_write(tmp_path):
    outputs = denoise_outputs(False)
    a = tmp_path / "a.png"
    atomic_write_bytes(a, b"first", outputs)
    atomic_write_bytes(a, b"second", denoise_outputs(False))  # another run: a.png is listed, unchanged
    assert a.read_bytes() == b"second"
    a.write_bytes(b"edited by the user")
    with pytest.raises(UserError, match="n2n wrote it, but it has changed since"):
        atomic_write_bytes(a, b"third", denoise_outputs(False))
    assert a.read_bytes() == b"edited by the user"


class SavesAUserFile(Denoiser):
    """A denoiser during whose work the user saves a file where the output goes (the issue's case c)."""

    def __init__(self, target, *a, **kw):
        super().__init__(*a, **kw)
        self.target = target

    def __call__(self, image, rng=None):
        if not self.target.exists():
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.target.write_bytes(b"mine, saved while n2n denoised")
        return super().__call__(image, rng)


def test_a_users_file_saved_while_an_image_is_denoised_is_kept(tmp_path):
    for k in range(2):
        write_png(tmp_path / "in" / f"{k}.png", smooth_image(20, 20, 3, k))
    plan = plan_outputs(tmp_path / "in", tmp_path / "out")
    errors: list[str] = []
    denoiser = SavesAUserFile(tmp_path / "out" / "1.png", create_model("tiny"), torch.device("cpu"))
    r = denoise_files(denoiser, plan, on_error=errors.append)
    assert (r.written, r.failed) == (1, 1), errors
    assert "1.png: exists and was not written by an earlier n2n denoise" in errors[0]
    assert (tmp_path / "out" / "1.png").read_bytes() == b"mine, saved while n2n denoised"
    assert sorted(folder_manifest(tmp_path / "out").files) == ["0.png"]
    assert sorted(os.listdir(tmp_path / "out")) == [MARKER, "0.png", "1.png"]  # no temp file


KILLER = """
import os, signal, sys
sys.argv = ["n2n", *sys.argv[2:]]
after = int(os.environ["KILL_AFTER"])
from n2n_cli.inference import files
write = files.write_png
count = [0]
def dying(*a, **kw):
    write(*a, **kw)
    count[0] += 1
    if count[0] == after:
        os.kill(os.getpid(), signal.SIGKILL)
files.write_png = dying
from n2n_cli.cli.app import main
main()
"""


def killed_run(after: int, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AFTER": str(after), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", KILLER, "-", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_a_denoise_killed_after_some_outputs_reruns(tmp_path, models):
    """kill -9 after the third of six outputs: all three are listed, so the same command reruns and finishes."""
    for k in range(6):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{k}.jpg").write_bytes(pil_bytes(smooth_image(24, 24, 3, k), "JPEG"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.png").write_bytes(b"the user's")
    args = ("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    r = killed_run(3, *args)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert [n for n in written(tmp_path / "out") if n != ".n2n-lock"] == ["0.png", "1.png", "2.png", "mine.png"]
    assert sorted(folder_manifest(tmp_path / "out").files) == ["0.png", "1.png", "2.png"]
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert "denoised 6 of 6" in r.stdout and "took over a lock left by process" in r.stderr
    assert (tmp_path / "out" / "mine.png").read_bytes() == b"the user's"


def test_a_kill_between_listing_and_naming_leaves_the_old_file_owned(tmp_path, monkeypatch):
    """The version is listed before the rename: killed in between, the file there (the earlier version) is still
    n2n's, and both versions are listed until the file says which it is."""
    a = tmp_path / "a.png"
    atomic_write_bytes(a, b"version 1", denoise_outputs(False))
    old = a.read_bytes()

    def killed(*args, **kw):
        raise KeyboardInterrupt  # stands for the kill: nothing after the listing runs

    outputs = denoise_outputs(False)
    monkeypatch.setattr(atomic_module, "_place", killed)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(a, b"version 2, longer", outputs)
    monkeypatch.undo()
    assert a.read_bytes() == old
    m = folder_manifest(tmp_path)
    assert len(m.files["a.png"]) == 2 and m.owns(a)
    atomic_write_bytes(a, b"version 3", denoise_outputs(False))
    assert a.read_bytes() == b"version 3"


def test_the_manifest_is_appended_line_by_line_and_a_torn_line_is_ignored(tmp_path):
    outputs = denoise_outputs(False)
    for k in range(3):
        atomic_write_bytes(tmp_path / f"{k}.png", bytes([k]) * 10, outputs)
    text = (tmp_path / MARKER).read_text().splitlines()
    assert len(text) == 3 and json.loads(text[0])["format"] == 2  # a first line, then one line per file
    with open(tmp_path / MARKER, "a") as f:
        f.write('{"name": "3.png", "size": 1')  # a kill while appending
    m = folder_manifest(tmp_path)
    assert sorted(m.files) == ["0.png", "1.png", "2.png"] and m.owns(tmp_path / "2.png")
    outputs.close()
    lines = (tmp_path / MARKER).read_text().splitlines()
    assert len(lines) == 1 and sorted(json.loads(lines[0])["files"]) == ["0.png", "1.png", "2.png"]


def test_a_manifest_of_n2n_0_7_is_read(tmp_path):
    write_png(tmp_path / "a.png", smooth_image(8, 8, 3, 0))
    a = tmp_path / "a.png"
    old = {"written_by": "n2n", "format": 1, "files": {"a.png": {"size": a.stat().st_size, "sha256": file_sha256(a)}}}
    (tmp_path / MARKER).write_text(json.dumps(old, indent=1) + "\n")
    assert Manifest.read(tmp_path / MARKER).owns(a)
    atomic_write_bytes(tmp_path / "b.png", b"b", denoise_outputs(False))  # folded to format 2, a.png kept
    assert folder_manifest(tmp_path).owns(a) and folder_manifest(tmp_path).owns(tmp_path / "b.png")


def test_a_forged_manifest_gives_the_file_it_lists_to_n2n(tmp_path, models):
    """What the manifest trusts (docs/denoise.md): a manifest the user wrote to list a file of theirs is the user's
    own act, and n2n replaces that file as its own."""
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    mine = tmp_path / "out" / "a.png"
    mine.parent.mkdir()
    mine.write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    forged = {"written_by": "n2n", "format": 1, "files": {"a.png": {"size": 10, "sha256": file_sha256(mine)}}}
    (tmp_path / "out" / MARKER).write_text(json.dumps(forged))
    before = snapshot(tmp_path / "in")
    r = run("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert mine.read_bytes() != np.arange(10, dtype=np.uint8).tobytes() and snapshot(tmp_path / "in") == before
