"""Denoised files by the write rule, end to end: a file the user saves into OUT while an image is being denoised is
kept (the check is made at the moment of the write), a run killed with SIGKILL after some outputs is rerun by the
same command (each output was listed before it took its name), and a manifest is trusted as it stands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import torch
from conftest import REPO, pil_bytes, run, smooth_image, snapshot, written

from n2n_cli.inference import Denoiser
from n2n_cli.inference.files import denoise_files
from n2n_cli.inference.manifest import MARKER, file_sha256
from n2n_cli.inference.plan import plan_outputs
from n2n_cli.io import write_png
from n2n_cli.io.atomic import temp_name
from n2n_cli.models import create_model


def listed(folder) -> list[str]:
    """The names a folder's manifest lists, read as JSON (format 1: one object; format 2: lines)."""
    text = (folder / MARKER).read_text()
    try:
        heads = [json.loads(text)]
    except ValueError:
        heads = [json.loads(line) for line in text.splitlines()]
    names = set(heads[0]["files"]) | {h["name"] for h in heads[1:] if "name" in h}
    return sorted(names)


class SavesAUserFile(Denoiser):
    """A denoiser during whose work on the second image the user saves a file where that image's output goes (the
    issue's case c: after the check made before the image was denoised, before its output is written)."""

    def __init__(self, target, *a, **kw):
        super().__init__(*a, **kw)
        self.target, self.calls = target, 0

    def __call__(self, image, rng=None, on_tiles=None):
        self.calls += 1
        if self.calls == 2:
            self.target.write_bytes(b"mine, saved while n2n denoised")
        return super().__call__(image, rng, on_tiles)


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
    assert listed(tmp_path / "out") == ["0.png"]
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
    assert listed(tmp_path / "out") == ["0.png", "1.png", "2.png"]
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert "denoised 6 of 6" in r.stdout and "took over a lock left by process" in r.stderr
    assert (tmp_path / "out" / "mine.png").read_bytes() == b"the user's"


def test_temp_files_a_killed_run_left_are_removed_by_the_rerun_its_manifests_too(tmp_path, models):
    """A run killed while it wrote an output, or while it rewrote the folder's manifest, leaves a temp file of that
    name; the rerun removes both (a temp of another name, which no run of this folder writes, stays)."""
    write_png(tmp_path / "in" / "a.png", smooth_image(16, 16, 3, 0))
    out = tmp_path / "out"
    out.mkdir()
    left = [out / temp_name("a.png"), out / temp_name(MARKER)]
    other = out / temp_name("b.png")
    for t in [*left, other]:
        t.write_bytes(b"half written")
    r = run("denoise", tmp_path / "in", out, "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert not any(t.exists() for t in left) and other.exists()


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
