"""A disk that refuses to write (read-only, full, over quota) is one line naming the file, exit code 1, for every
command that writes: train (checked before the first epoch; a failed save keeps the previous checkpoint and says
so), eval --grid, synth, export and denoise."""

from __future__ import annotations

import errno
import os
import stat

import pytest
import torch
from conftest import RUN_FILES, assert_one_line, run, smooth_image

from n2n_cli.io import atomic as atomic_module
from n2n_cli.io import write_png
from n2n_cli.models.checkpoint import load_checkpoint

READ_ONLY = "cannot write it: the file system is read-only"


@pytest.fixture
def read_only(monkeypatch):
    """Call it to make the disk read-only from then on: no new file can be created; reading works."""

    def refuse(folder, name):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder / name))

    return lambda: monkeypatch.setattr(atomic_module, "_open_temp", refuse)


def test_train_on_a_read_only_disk_is_refused_before_the_first_epoch(pair_file, tmp_path, read_only):
    read_only()
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", tmp_path / "runs" / "m.pt")
    assert_one_line(r, 1, f"{tmp_path / 'runs' / 'm.pt'}: {READ_ONLY}")
    assert "training:" not in r.stderr and "epoch 1/" not in r.stderr  # no epoch was spent
    assert not (tmp_path / "runs" / "m.pt").exists()


def test_a_disk_that_fills_keeps_the_previous_checkpoint_and_says_so(pair_file, tmp_path, monkeypatch):
    out = tmp_path / "m.pt"
    real_fsync = os.fsync

    def fsync(fd):  # the disk is full once epoch 1 is saved (its checkpoint is the last file written)
        if out.exists() and stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(atomic_module.os, "fsync", fsync)
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "3", "-b", "32", "-o", out, "--workers", "0")
    metrics = tmp_path / "m.metrics.jsonl"
    assert_one_line(
        r,
        1,
        f"{metrics}: cannot write it: no space left on the device; {out} still holds epoch 1, the last one saved "
        "(epoch 2 was trained but is not saved)",
    )
    monkeypatch.undo()
    assert load_checkpoint(out)["epoch"] == 1
    # no temp file, no lock
    assert sorted(os.listdir(tmp_path)) == [*RUN_FILES, "train_data.pkl"]


def test_a_disk_that_fills_before_the_checkpoint_keeps_the_epoch_before(pair_file, tmp_path, monkeypatch):
    """The checkpoint is written last: a disk that fills on the files before it (here the curve of epoch 2) leaves
    the checkpoint of epoch 1, which --resume continues."""
    out = tmp_path / "m.pt"
    real_fsync = os.fsync

    def fsync(fd):  # full once epoch 1 is saved and epoch 2's metrics are written
        if out.exists() and len((tmp_path / "m.metrics.jsonl").read_text().splitlines()) == 2:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(atomic_module.os, "fsync", fsync)
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "3", "-b", "32", "-o", out, "--workers", "0")
    curve = tmp_path / "m.curve.png"
    assert_one_line(r, 1, f"{curve}: cannot write it: no space left on the device; {out} still holds epoch 1")
    monkeypatch.undo()
    assert load_checkpoint(out)["epoch"] == 1
    r = run("train", "--data", pair_file, "-e", "3", "-b", "32", "--resume", out, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["epoch"] == 3 and len((tmp_path / "m.metrics.jsonl").read_text().splitlines()) == 3


def test_eval_grid_synth_export_and_denoise_on_a_read_only_disk(tmp_path, val_file, clean_dir, models, read_only):
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    read_only()
    cases = [
        (("eval", val_file, "-m", models["tiny"], "--grid", tmp_path / "grid.png"), tmp_path / "grid.png"),
        (("synth", clean_dir, tmp_path / "t.pkl", "-n", "4", "--size", "8"), tmp_path / "t.pkl"),
        (("export", tmp_path / "m.onnx", "-m", models["tiny"]), tmp_path / "m.onnx"),
        (("denoise", tmp_path / "in", tmp_path / "out", "-m", models["tiny"]), tmp_path / "out" / "a.png"),
        (("denoise", tmp_path / "in" / "a.png", tmp_path / "a-clean.png", "-m", models["tiny"]), None),
    ]
    for args, target in cases:
        r = run(*args)
        assert_one_line(r, 1, f"{target or tmp_path / 'a-clean.png'}: {READ_ONLY}")
        assert target is None or not target.exists()
    assert not (tmp_path / "out").exists()  # the run that wrote nothing left nothing, not even its folder


def test_a_tensor_file_written_before_is_kept_when_synth_fails(tmp_path, clean_dir, read_only):
    torch.save((torch.zeros(1, 3, 8, 8, dtype=torch.uint8),) * 2, tmp_path / "t.pkl")
    before = (tmp_path / "t.pkl").read_bytes()
    read_only()
    r = run("synth", clean_dir, tmp_path / "t.pkl", "-n", "4", "--size", "8", "--overwrite")
    assert_one_line(r, 1, READ_ONLY)
    assert (tmp_path / "t.pkl").read_bytes() == before
