"""The files beside a checkpoint (NAME.metrics.jsonl, .curve.png, .best.pt, .eN.pt) go by the rule of every file n2n
writes (io/outputs.py): a file there is replaced only with --overwrite, or when the run that wrote it (listed with its
id in .NAME.n2n-output) is the one writing, and it is unchanged; another run's files, or the user's, are kept."""

from __future__ import annotations

import json
import os

import torch
from conftest import assert_one_line, run

from n2n_cli.models.checkpoint import load_checkpoint


def train(data, out, *extra, epochs=1):
    return run("train", "--data", data, "-a", "tiny", "-e", epochs, "-b", "16", "-o", out, "--workers", "0", *extra)


def companions(folder):
    return {n: (folder / n).read_bytes() for n in ("m.metrics.jsonl", "m.curve.png", "m.best.pt", "m.e1.pt")}


def test_a_new_run_keeps_the_users_files_where_its_companions_go(pair_file, val_file, tmp_path):
    """The issue's case (a): no m.pt yet, the user's m.metrics.jsonl, m.curve.png, m.best.pt and m.e1.pt there."""
    out = tmp_path / "m.pt"
    for name in ("m.metrics.jsonl", "m.curve.png", "m.best.pt", "m.e1.pt"):
        (tmp_path / name).write_bytes(b"the user's " + name.encode())
    before = companions(tmp_path)
    r = train(pair_file, out, "--val", val_file, "--keep-epochs")
    assert_one_line(r, 1, "m.metrics.jsonl: exists and was not written by this training run", "--overwrite")
    assert companions(tmp_path) == before and not out.exists()
    assert "epoch 1/" not in r.stderr  # refused before any work

    r = train(pair_file, out, "--val", val_file, "--keep-epochs", "--overwrite")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(tmp_path / "m.e1.pt")["epoch"] == 1 and load_checkpoint(tmp_path / "m.best.pt")


def test_another_runs_files_are_not_replaced(pair_file, val_file, tmp_path):
    """The issue's case (b): run A -o m.pt --val; mv m.pt a.pt; run B -o m.pt must not replace A's files."""
    out = tmp_path / "m.pt"
    assert train(pair_file, out, "--val", val_file).exit_code == 0
    os.rename(out, tmp_path / "a.pt")
    before = {n: (tmp_path / n).read_bytes() for n in ("m.metrics.jsonl", "m.curve.png", "m.best.pt")}
    r = train(pair_file, out, "--val", val_file)
    assert_one_line(r, 1, "m.metrics.jsonl: written by another training run", ".m.pt.n2n-output", "--overwrite")
    assert {n: (tmp_path / n).read_bytes() for n in before} == before and not out.exists()

    # run A itself, resumed into m.pt again, goes on with its own files
    r = run("train", "--data", pair_file, "-e", "2", "--resume", tmp_path / "a.pt", "-o", out, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["epoch"] == 2
    assert len((tmp_path / "m.metrics.jsonl").read_text().splitlines()) == 2


def test_a_run_killed_before_its_first_checkpoint_leaves_files_the_same_command_replaces(pair_file, val_file, tmp_path):
    """Killed after an epoch's metrics, best and epoch files but before its checkpoint (the epoch's commit): no m.pt,
    none listed; nothing resumes from such files, so a plain rerun takes their place. A user's file stays refused."""
    out = tmp_path / "m.pt"
    assert train(pair_file, out, "--val", val_file, "--keep-epochs").exit_code == 0
    out.unlink()
    manifest = tmp_path / ".m.pt.n2n-output"
    record = json.loads(manifest.read_text())
    del record["files"]["m.pt"]  # as a run killed before it saved its checkpoint leaves the list
    manifest.write_text(json.dumps(record))
    r = train(pair_file, out, "--val", val_file, "--keep-epochs", epochs=2)
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["epoch"] == 2 and len((tmp_path / "m.metrics.jsonl").read_text().splitlines()) == 2

    out.unlink()  # a run that saved a checkpoint keeps its files, though the checkpoint was moved away
    r = train(pair_file, out, "--val", val_file)
    assert_one_line(r, 1, "written by another training run", "--overwrite")


def test_a_resumed_run_keeps_its_id_and_lists_its_files(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    assert train(pair_file, out, "--keep-epochs").exit_code == 0
    first = load_checkpoint(out)["run_id"]
    r = run("train", "--data", pair_file, "-e", "2", "--resume", out, "--keep-epochs", "--workers", "0")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["run_id"] == first
    head = json.loads(out.with_name(".m.pt.n2n-output").read_text().splitlines()[0])
    assert sorted(head["files"]) == ["m.curve.png", "m.e1.pt", "m.e2.pt", "m.metrics.jsonl", "m.pt"]
    assert {v["run"] for versions in head["files"].values() for v in versions} == {first}


def test_an_edited_metrics_file_is_the_users(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    assert train(pair_file, out).exit_code == 0
    (tmp_path / "m.metrics.jsonl").write_text("my notes\n")
    r = run("train", "--data", pair_file, "-e", "2", "--resume", out, "--workers", "0")
    assert_one_line(r, 1, "m.metrics.jsonl: n2n wrote it, but it has changed since")
    assert (tmp_path / "m.metrics.jsonl").read_text() == "my notes\n"


def test_a_checkpoint_of_an_older_n2n_resumes_with_its_files(pair_file, tmp_path):
    """n2n 0.7 recorded no run id and listed nothing: the files beside the checkpoint it resumes are its run's."""
    out = tmp_path / "m.pt"
    assert train(pair_file, out).exit_code == 0
    ckpt = load_checkpoint(out)
    del ckpt["run_id"]
    torch.save(ckpt, out)
    out.with_name(".m.pt.n2n-output").unlink()
    r = run("train", "--data", pair_file, "-e", "2", "--resume", out, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out)["epoch"] == 2


def test_a_plain_rerun_over_a_checkpoint_says_how_to_go_on(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    assert train(pair_file, out).exit_code == 0
    before = out.read_bytes()
    r = train(pair_file, out)
    assert_one_line(r, 1, f"{out}: exists; pass --overwrite to replace it, --resume {out} to continue its run")
    assert out.read_bytes() == before


def test_temp_files_a_killed_run_left_are_removed_by_the_next_run_its_manifests_too(pair_file, tmp_path):
    """A run killed while it wrote its checkpoint or rewrote its manifest leaves a temp file of that name; the next
    run writing there removes both."""
    from n2n_cli.io.atomic import temp_name
    from n2n_cli.training.checkpoints import manifest_path

    out = tmp_path / "m.pt"
    left = [tmp_path / temp_name("m.pt"), tmp_path / temp_name(manifest_path(out).name)]
    for t in left:
        t.write_bytes(b"half written")
    r = train(pair_file, out)
    assert r.exit_code == 0, r.output
    assert not any(t.exists() for t in left)
