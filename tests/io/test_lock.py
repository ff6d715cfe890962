"""Two runs never write one output folder (or one checkpoint) at once (io/lock.py): the second refuses in one line
naming the folder, a lock left by a process that is gone is taken over with a note, and the lock goes away with
the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import RUN_FILES, assert_one_line, lines, run, smooth_image, snapshot, written

from n2n_cli.errors import UserError
from n2n_cli.io import write_png
from n2n_cli.io.lock import FOLDER_LOCK, Busy, file_lock, folder_lock, output_locks


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def write_lock(path, pid: int, host: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "host": host or socket.gethostname(), "started": time.time()}))


@pytest.fixture
def photo(tmp_path):
    write_png(tmp_path / "in" / "a.png", smooth_image(20, 20, 3, 0))
    return tmp_path


def test_a_second_denoise_into_a_busy_folder_refuses_in_one_line(photo, models):
    out = photo / "out"
    with output_locks([folder_lock(out)]):  # a run of this very process holds it
        before = snapshot(out)
        r = run("denoise", photo / "in", out, "-m", models["tiny"])
        assert_one_line(r, 1, f"{out}: another n2n run (process {os.getpid()}", "is writing here", FOLDER_LOCK)
        assert snapshot(out) == before
    assert not out.exists()  # the lock's folder went with it, since nothing was written
    r = run("denoise", photo / "in", out, "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert written(out) == ["a.png"] and not (out / FOLDER_LOCK).exists()


def test_a_busy_folder_is_busy_even_while_the_other_runs_outputs_are_not_yet_listed(photo, models):
    """The other run writes a file before it lists it in the manifest: the second run must say the folder is busy,
    not that the file is foreign (its checks on existing outputs wait for the lock)."""
    out = photo / "out"
    with output_locks([folder_lock(out)]):
        write_png(out / "a.png", smooth_image(20, 20, 3, 5))  # written, not yet in .n2n-output
        r = run("denoise", photo / "in", out, "-m", models["tiny"])
        assert_one_line(r, 1, f"{out}: another n2n run")


def test_a_busy_sub_folder_of_a_recursive_run_is_refused_too(photo, models):
    write_png(photo / "in" / "sub" / "b.png", smooth_image(20, 20, 3, 1))
    with output_locks([folder_lock(photo / "out" / "sub")]):
        r = run("denoise", photo / "in", photo / "out", "-m", models["tiny"], "--recursive")
        assert_one_line(r, 1, f"{photo / 'out' / 'sub'}: another n2n run")
    assert not (photo / "out" / "a.png").exists()


def test_a_lock_of_a_process_that_is_gone_is_taken_over_with_a_note(photo, models):
    out = photo / "out"
    write_lock(out / FOLDER_LOCK, dead_pid())
    r = run("denoise", photo / "in", out, "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    (note,) = lines(r.stderr)
    assert note.startswith(f"note: {out}: took over a lock left by process ") and "no longer runs" in note
    assert written(out) == ["a.png"] and not (out / FOLDER_LOCK).exists()


def test_an_unreadable_lock_is_busy_while_fresh_and_stale_when_old(photo, models):
    out = photo / "out"
    out.mkdir()
    (out / FOLDER_LOCK).write_text("")  # a run killed between creating its lock and writing it, or one doing so now
    r = run("denoise", photo / "in", out, "-m", models["tiny"])
    assert_one_line(r, 1, "another n2n run is starting to write here")
    old = time.time() - 3600
    os.utime(out / FOLDER_LOCK, (old, old))
    r = run("denoise", photo / "in", out, "-m", models["tiny"])
    assert r.exit_code == 0, r.output
    assert "took over an unreadable lock" in r.stderr


def test_a_lock_from_another_host_is_never_taken_over(photo, models):
    write_lock(photo / "out" / FOLDER_LOCK, dead_pid(), host="elsewhere.example")
    r = run("denoise", photo / "in", photo / "out", "-m", models["tiny"])
    assert_one_line(r, 1, "on elsewhere.example", "if no n2n run is going on")


def test_two_trainings_into_one_checkpoint(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    with output_locks([file_lock(out)]):
        r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", out)
        assert_one_line(r, 1, f"{out}: another n2n run (process {os.getpid()}")
    assert not out.exists()
    write_lock(file_lock(out).path, dead_pid())
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-o", out, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert "took over a lock left by process" in r.stderr
    assert sorted(os.listdir(tmp_path)) == [*RUN_FILES, "train_data.pkl"]


def test_locks_are_taken_in_order_and_all_released_when_one_is_busy(tmp_path):
    a, b = folder_lock(tmp_path / "a"), folder_lock(tmp_path / "b")
    with output_locks([b]):
        with pytest.raises(Busy):
            with output_locks([b, a]):
                pass
        assert not a.path.exists() and b.path.exists()
    assert not b.path.exists()
    assert issubclass(Busy, UserError)


@pytest.mark.slow  # two processes
def test_real_processes_never_write_at_once(photo, models):
    """Two real n2n processes into one folder: each either finishes, or refuses in one line; never a mixed run."""
    from conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "n2n_cli", "denoise", str(photo / "in"), str(photo / "out"), "-m", str(models["tiny"])]
    procs = [subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 or (code == 1 and "another n2n run" in err) for code, err in results), results
    assert any(code == 0 for code, _ in results) and written(photo / "out") == ["a.png"]
    assert not (photo / "out" / FOLDER_LOCK).exists()


def test_a_lock_with_odd_fields_is_still_one_line(photo, models):
    lock = photo / "out" / FOLDER_LOCK
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "yesterday"}))
    r = run("denoise", photo / "in", photo / "out", "-m", models["tiny"])
    assert_one_line(r, 1, f"another n2n run (process {os.getpid()}) is writing here")
    lock.write_text(json.dumps({"pid": "1"}))  # not a number: unreadable, and fresh
    r = run("denoise", photo / "in", photo / "out", "-m", models["tiny"])
    assert_one_line(r, 1, "another n2n run is starting to write here")
