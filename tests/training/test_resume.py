"""--resume continues the run its checkpoint recorded (training/fingerprint.py): other data or options are refused in
one line naming what differs (--force goes on, saying so); without -o it writes back to the checkpoint it resumed;
Ctrl-C prints the exact command that resumes; a run that diverges never replaces the good checkpoint."""

from __future__ import annotations

import shlex

import pytest
import torch
from conftest import assert_one_line, lines, run, smooth_image

from n2n_cli.io import write_png
from n2n_cli.models.checkpoint import load_checkpoint


@pytest.fixture
def first(pair_file, tmp_path):
    """One epoch of `tiny` on the 64-pair file, batch 8, in m.pt."""
    out = tmp_path / "m.pt"
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-b", "8", "-o", out)
    assert r.exit_code == 0, r.output
    return out


def resume(pair_file, out, *extra):
    return run("train", "--data", pair_file, "-e", "2", "-b", "8", "--resume", out, *extra)


def test_the_checkpoint_records_the_runs_data_and_options(first):
    record = load_checkpoint(first)["run"]
    assert record["data"]["kind"] == "tensor file" and record["data"]["shapes"] == [[64, 3, 16, 16]] * 2
    assert record["options"]["batch_size"] == 8 and record["options"]["arch"] == "tiny"


@pytest.mark.parametrize(
    "extra,needle",
    [
        (("-b", "16"), "--batch-size 8 -> 16; --lr 0.001 -> 0.00141421"),
        (("--lr", "0.1"), "--lr 0.001 -> 0.1"),
        (("--seed", "3"), "--seed 0 -> 3"),
        (("--schedule", "constant"), "--schedule cosine -> constant"),
        (("--no-augment",), "--augment True -> False"),
        (("--single",), "--single False -> True"),
    ],
)
def test_other_options_are_refused_naming_what_differs(pair_file, first, extra, needle):
    before = first.read_bytes()
    args = ["train", "--data", pair_file, "-e", "2", "--resume", first, *extra]
    r = run(*args, *(() if "-b" in extra else ("-b", "8")))
    line = assert_one_line(r, 1, f"{first}: this command differs from the run it resumes: ", needle, "--force")
    assert "\n" not in line and first.read_bytes() == before


def test_other_data_is_refused_and_force_continues_saying_so(pair_file, first, tmp_path):
    a, b = torch.load(pair_file, weights_only=True)
    torch.save((b, a), tmp_path / "other.pkl")  # the same shapes and size, other bytes
    before = first.read_bytes()
    r = resume(tmp_path / "other.pkl", first)
    assert_one_line(r, 1, "the data (--data): a ", "-byte tensor file of 64x3x16x16 and 64x3x16x16 uint8 -> ")
    assert first.read_bytes() == before
    r = resume(tmp_path / "other.pkl", first, "--force")
    assert r.exit_code == 0, r.output
    (note,) = [line for line in lines(r.stderr) if line.startswith("note: ")]
    assert note.startswith(f"note: {first}: resuming with --force although the data (--data)")
    assert load_checkpoint(first)["epoch"] == 2


def test_a_folder_with_a_file_added_is_other_data(tmp_path):
    for k in range(3):
        write_png(tmp_path / "clean" / f"c{k}.png", smooth_image(24, 24, 3, k))
    args = ("--noise", "gaussian:25", "-a", "tiny", "-p", "16", "--workers", "0", "-o", tmp_path / "m.pt")
    assert run("train", "--data", tmp_path / "clean", "-e", "1", *args).exit_code == 0
    write_png(tmp_path / "clean" / "c3.png", smooth_image(24, 24, 3, 3))
    r = run("train", "--data", tmp_path / "clean", "-e", "2", *args, "--resume", tmp_path / "m.pt")
    assert_one_line(r, 1, "the data (--data): 3 image files (3 frames", "-> 4 image files")
    r = run("train", "--data", tmp_path / "clean", "-e", "2", *args[:1], "gaussian:50", *args[2:], "--resume",
            tmp_path / "m.pt", "--force")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "--noise gaussian:25 -> gaussian:50" in r.stderr


def test_without_output_resume_writes_back_to_the_checkpoint(pair_file, first, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("train", "--data", pair_file, "-e", "2", "-b", "8", "--resume", first)
    assert r.exit_code == 0, r.output
    assert load_checkpoint(first)["epoch"] == 2 and not (tmp_path / "n2n-model.pt").exists()
    assert f"saved {first}" in r.stdout


def test_a_checkpoint_of_n2n_0_2_resumes_with_a_note(pair_file, first):
    ck = torch.load(first, weights_only=True)
    del ck["run"]
    torch.save(ck, first)
    r = resume(pair_file, first)
    assert r.exit_code == 0, r.output
    assert [line for line in lines(r.stderr) if line.startswith("note: ")] == [
        f"note: {first}: written by an older n2n, it records no fingerprint of its data and options; they are not "
        "checked"
    ]


def test_ctrl_c_prints_the_exact_command_that_resumes(tmp_path, monkeypatch):
    from n2n_cli.cli import progress

    data = tmp_path / "my clean photos"
    for k in range(3):
        write_png(data / f"c{k}.png", smooth_image(24, 24, 3, k))
    out = tmp_path / "run's model.pt"
    real = progress.TrainProgress.on_step

    def ctrl_c(self, epoch, step, images, loss):
        if epoch == 1:
            raise KeyboardInterrupt
        real(self, epoch, step, images, loss)

    monkeypatch.setattr(progress.TrainProgress, "on_step", ctrl_c)
    options = ["--noise", "gaussian:5-50", "--gray-share", "0.5", "--no-augment", "-a", "tiny", "-p", "16"]
    r = run("train", "--data", data, *options, "-e", "3", "-b", "4", "--workers", "0", "-o", out, "--lr", "2e-3")
    assert r.exit_code == 130, r.output
    last = lines(r.stderr)[-1]
    assert last.startswith(f"interrupted in epoch 2; {out} holds epoch 1 of 3. To go on: n2n train ")
    command = shlex.split(last.split("To go on: ", 1)[1])
    assert command[:2] == ["n2n", "train"] and command[-2:] == ["--resume", str(out)]
    monkeypatch.undo()
    r = run(*command[1:])
    assert r.exit_code == 0, r.output
    assert "resuming after epoch 1 of 3" in r.stderr and "note:" not in r.stderr  # the same run: nothing differs
    assert load_checkpoint(out)["epoch"] == 3


def test_ctrl_c_before_the_first_epoch_says_nothing_was_saved(pair_file, tmp_path, monkeypatch):
    from n2n_cli.cli import progress

    def ctrl_c(self, *a):
        raise KeyboardInterrupt

    monkeypatch.setattr(progress.TrainProgress, "on_step", ctrl_c)
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "2", "-o", tmp_path / "m.pt")
    assert r.exit_code == 130 and lines(r.stderr)[-1] == "interrupted in epoch 1; no checkpoint was saved"
    assert not (tmp_path / "m.pt").exists()


def test_a_run_whose_loss_explodes_but_stays_finite_keeps_the_good_checkpoint(pair_file, first, monkeypatch):
    """The issue's case: a resumed run with a far larger rate turned to garbage, finite (tiny ends in a sigmoid),
    and replaced the good checkpoint. An epoch whose loss is over 4 times the run's best is divergence."""
    before = first.read_bytes()
    r = resume(pair_file, first, "--lr", "1", "-e", "3", "--force")
    line = assert_one_line(
        r, 1, "training diverged: the loss rose to", f"in epoch 2 ({first} still holds epoch 1)", notes=1
    )
    assert "lower --lr" in line and first.read_bytes() == before


@pytest.mark.parametrize("record", [{"options": 5}, "run", {"options": {}, "data": [1]}, None])
def test_a_malformed_record_resumes_with_the_note(pair_file, first, record):
    ck = torch.load(first, weights_only=True)
    ck["run"] = record
    torch.save(ck, first)
    r = resume(pair_file, first)
    assert r.exit_code == 0, r.output
    assert "records no fingerprint" in r.stderr


def test_a_record_with_odd_data_fields_is_one_line(pair_file, first):
    ck = torch.load(first, weights_only=True)
    ck["run"]["data"] = {"kind": "tensor file", "bytes": "many"}
    torch.save(ck, first)
    r = resume(pair_file, first)
    assert_one_line(r, 1, "the data (--data): other data -> a ")
