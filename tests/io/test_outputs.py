"""The one write rule (io/outputs.py, io/atomic.py, io/manifest.py): whether a file may be replaced is decided at the
moment of the rename, a file that appeared since is kept, and every file is listed in its manifest before it takes
its name, so a run killed at any moment is rerun with nothing in its way."""

from __future__ import annotations

import json
import os

import pytest
from conftest import smooth_image

from n2n_cli.errors import UserError
from n2n_cli.inference.manifest import MARKER, denoise_outputs, file_sha256, folder_manifest
from n2n_cli.io import atomic as atomic_module
from n2n_cli.io import atomic_write, atomic_write_bytes, write_png
from n2n_cli.io.atomic import NewOnly
from n2n_cli.io.manifest import Manifest


def test_a_file_that_appears_while_writing_is_kept(tmp_path):
    target = tmp_path / "t.bin"

    def write(f):
        target.write_bytes(b"the user's, saved meanwhile")
        f.write(b"n2n's")

    with pytest.raises(UserError, match="a file appeared there while n2n ran; it is kept"):
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
