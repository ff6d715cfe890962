"""The one write path (io/atomic.py): every file whole or not at all, the file that was there kept when a write fails,
short temp names (a 255-byte target name works), and one WriteError line naming the file when the disk refuses."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
import torch
from conftest import smooth_image

from n2n_cli.io import NAME_MAX, WriteError, atomic_save, atomic_write, check_writable, fit_name, read_image, write_png
from n2n_cli.io import atomic as atomic_module


def fail_at(monkeypatch, where: str, code: int) -> None:
    """Make the disk refuse: creating the temp file (a read-only or full folder) or flushing it (a disk that fills
    while the file is written)."""
    if where == "create":

        def refuse(folder, name):
            raise OSError(code, os.strerror(code), str(folder / name))

        monkeypatch.setattr(atomic_module, "_open_temp", refuse)
    else:

        def full(fd):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(atomic_module.os, "fsync", full)


def test_a_255_byte_name_is_written_and_no_temp_file_stays(tmp_path):
    name = "é" * 125 + "x.png"  # 255 bytes in UTF-8
    assert len(os.fsencode(name)) == NAME_MAX
    write_png(tmp_path / name, smooth_image(8, 8, 3, 0))
    assert read_image(tmp_path / name).shape == (8, 8, 3)
    assert os.listdir(tmp_path) == [name]
    assert len(atomic_module.temp_name(name)) < 40


def test_fit_name_keeps_short_names_and_shortens_long_ones_apart():
    assert fit_name("a.png") == "a.png"
    long_a, long_b = "a" * 251 + ".jpg.png", "a" * 251 + ".JPG.png"
    fa, fb = fit_name(long_a), fit_name(long_b)
    assert len(os.fsencode(fa)) <= NAME_MAX and fa.endswith(".png") and fa != fb
    assert len(os.fsencode(fit_name("é" * 200 + ".png"))) <= NAME_MAX  # never half a character


def test_a_failed_write_keeps_the_file_that_was_there(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")

    def half(f):
        f.write(b"new but")
        raise ValueError("the writer failed")

    with pytest.raises(ValueError):
        atomic_write(target, half)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["keep.bin"]


@pytest.mark.parametrize(
    "where,code,reason",
    [
        ("create", errno.EROFS, "the file system is read-only"),
        ("create", errno.EACCES, "permission denied"),
        ("create", errno.ENOSPC, "no space left on the device"),
        ("flush", errno.ENOSPC, "no space left on the device"),
        ("flush", errno.EDQUOT, "disk quota exceeded"),
    ],
)
def test_a_refusing_disk_is_one_write_error_naming_the_file(tmp_path, monkeypatch, where, code, reason):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the previous checkpoint")
    fail_at(monkeypatch, where, code)
    for write in (
        lambda: atomic_save({"w": torch.zeros(1000)}, target),  # torch.save wraps the OSError in a RuntimeError
        lambda: write_png(target, smooth_image(8, 8, 3, 0)),
    ):
        with pytest.raises(WriteError) as e:
            write()
        assert str(e.value) == f"{target}: cannot write it: {reason}"
    assert target.read_bytes() == b"the previous checkpoint" and os.listdir(tmp_path) == ["model.pt"]


def test_torch_save_on_a_full_disk_is_a_write_error(tmp_path, monkeypatch):
    """The disk fills in the middle of torch.save's own writes, not at the flush."""
    real_open = open

    class Full:
        def __init__(self, f):
            self.f, self.name = f, f.name

        def write(self, b):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, k):
            return getattr(self.f, k)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

    monkeypatch.setattr(atomic_module, "open", lambda p, m: Full(real_open(p, m)), raising=False)
    with pytest.raises(WriteError, match="no space left on the device"):
        atomic_save({"w": torch.zeros(10_000)}, tmp_path / "m.pt")
    assert os.listdir(tmp_path) == []


def test_check_writable_creates_and_removes_a_probe(tmp_path, monkeypatch):
    check_writable(tmp_path / "new" / "folder")
    assert (tmp_path / "new" / "folder").is_dir() and os.listdir(tmp_path / "new" / "folder") == []
    fail_at(monkeypatch, "create", errno.EROFS)
    with pytest.raises(WriteError, match=r"m\.pt: cannot write it: the file system is read-only"):
        check_writable(tmp_path, tmp_path / "m.pt")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not stop root")
def test_a_folder_without_write_permission_for_real(tmp_path):
    folder = tmp_path / "ro"
    write_png(folder / "a.png", smooth_image(8, 8, 3, 0))
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError, match="a.png: cannot write it: permission denied"):
            write_png(folder / "a.png", np.zeros((8, 8, 3), np.uint8))
        with pytest.raises(WriteError, match="permission denied"):
            check_writable(folder)
    finally:
        folder.chmod(0o755)
