"""Training never loses more than a few minutes: inside an epoch the run's state is saved (NAME.state.pt) when it is
stopped by Ctrl-C or SIGTERM, and every defaults.STATE_EVERY_S; `--resume` continues inside the epoch, and the
resumed run ends with the same weights, bit for bit, and the same metrics as an uninterrupted one (seeded tiny
data: the order, the crops, the noise and the augmentation are keyed by position, the generator's state is saved)."""

from __future__ import annotations

import os
import signal

import pytest
import torch
from conftest import assert_one_line, lines, run, write_noisy_images

from n2n_cli import defaults
from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.training.state import state_path


def _stop_at(monkeypatch, epoch: int, step: int, how) -> None:
    """Make the run stop at (epoch, step), 0-based, from its progress hook: by `how` (a signal, or an exception)."""
    from n2n_cli.cli import progress

    real = progress.TrainProgress.on_step

    def on_step(self, e, s, images, loss):
        real(self, e, s, images, loss)
        if (e, s) == (epoch, step):
            if isinstance(how, signal.Signals):
                os.kill(os.getpid(), how)  # as a terminal's Ctrl-C or a scheduler's kill does
            else:
                raise how

    monkeypatch.setattr(progress.TrainProgress, "on_step", on_step)


def _same_run(a, b) -> None:
    ca, cb = load_checkpoint(a), load_checkpoint(b)
    assert ca["epoch"] == cb["epoch"]
    for k, v in ca["state_dict"].items():
        assert torch.equal(v, cb["state_dict"][k]), k  # bit for bit
    assert [m["loss"] for m in ca["metrics"]] == [m["loss"] for m in cb["metrics"]]


CASES = {
    # the course's tensor file, batch 8 of 64 pairs: 8 steps per epoch, stopped by Ctrl-C in the first epoch
    "pairs, Ctrl-C": (lambda d: ["--data", d["pairs"], "-b", "8"], (0, 2), signal.SIGINT),
    # single noisy images (Neighbor2Neighbor draws from the epoch's generator too), crops from files, SIGTERM in
    # the second epoch: the state is ahead of the first epoch's checkpoint
    "single, SIGTERM": (
        lambda d: ["--data", d["single"], "--single", "-p", "16", "-b", "4", "--workers", "0"],
        (1, 3),
        signal.SIGTERM,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_run_stopped_inside_an_epoch_resumes_to_the_uninterrupted_result(pair_file, tmp_path, monkeypatch, case):
    write_noisy_images(tmp_path / "single", 3, 40, 1)
    options, (epoch, step), how = CASES[case]
    args = [*options({"pairs": pair_file, "single": tmp_path / "single"}), "-a", "tiny", "-e", "2"]
    r = run("train", *args, "-o", tmp_path / "whole.pt")
    assert r.exit_code == 0, r.output
    assert not state_path(tmp_path / "whole.pt").exists()  # an epoch's checkpoint replaces the state

    out = tmp_path / "stopped.pt"
    _stop_at(monkeypatch, epoch, step, how)
    r = run("train", *args, "-o", out)
    assert r.exit_code == 130, r.output
    last = lines(r.stderr)[-1]
    assert last.startswith(f"interrupted in epoch {epoch + 1} after step {step + 1}; {state_path(out)} holds the run")
    assert out.exists() == (epoch > 0) and state_path(out).exists()
    assert load_checkpoint(state_path(out))["within_epoch"]["step"] == step + 1

    monkeypatch.undo()
    r = run("train", *args, "--resume", out)
    assert r.exit_code == 0, r.output
    assert f"resuming epoch {epoch + 1} of 2 at step {step + 2} of " in r.stderr
    _same_run(tmp_path / "whole.pt", out)
    assert not state_path(out).exists()


def test_the_state_saved_every_few_minutes_survives_a_sudden_stop(pair_file, tmp_path, monkeypatch):
    """With the interval at 0 a state is saved after every step; a stop that saves nothing (an exception in the
    middle of step 5) leaves the state of step 4, from which the run resumes to the uninterrupted result."""
    args = ["--data", pair_file, "-b", "8", "-a", "tiny", "-e", "1"]
    assert run("train", *args, "-o", tmp_path / "whole.pt").exit_code == 0
    monkeypatch.setattr(defaults, "STATE_EVERY_S", 0)
    _stop_at(monkeypatch, 0, 4, KeyboardInterrupt())
    out = tmp_path / "m.pt"
    r = run("train", *args, "-o", out)
    assert r.exit_code == 130 and lines(r.stderr)[-1] == "interrupted in epoch 1; no checkpoint was saved"
    assert load_checkpoint(state_path(out))["within_epoch"]["step"] == 4
    monkeypatch.undo()
    r = run("train", *args, "--resume", out)
    assert r.exit_code == 0, r.output
    _same_run(tmp_path / "whole.pt", out)


def test_a_stale_state_is_not_resumed(pair_file, tmp_path):
    """A state older than the checkpoint (an epoch finished since) is left aside: the run resumes after the epoch."""
    out = tmp_path / "m.pt"
    args = ["--data", pair_file, "-b", "8", "-a", "tiny"]
    assert run("train", *args, "-e", "1", "-o", out).exit_code == 0
    ck = load_checkpoint(out)
    torch.save({**ck, "epoch": 0, "within_epoch": {"step": 3, "loss_sum": torch.tensor(1.0), "seen": 24,
                                                   "rng": torch.Generator().get_state()}}, state_path(out))  # fmt: skip
    # written here, not by the run, so the manifest does not list it as the run's: --overwrite lets it be replaced
    r = run("train", *args, "-e", "2", "--resume", out, "--overwrite")
    assert r.exit_code == 0, r.output
    assert "resuming after epoch 1 of 2" in r.stderr and load_checkpoint(out)["epoch"] == 2


def test_a_state_resumed_with_another_batch_size_starts_its_epoch_again(pair_file, tmp_path, monkeypatch):
    out = tmp_path / "m.pt"
    _stop_at(monkeypatch, 0, 2, signal.SIGINT)
    assert run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-b", "8", "-o", out).exit_code == 130
    monkeypatch.undo()
    r = run("train", "--data", pair_file, "-e", "1", "-b", "16", "--resume", out, "--force")
    assert r.exit_code == 0, r.output
    assert f"note: {out}: another batch size, so epoch 1 starts again" in r.stderr
    assert load_checkpoint(out)["epoch"] == 1 and not state_path(out).exists()


def test_a_malformed_state_is_one_line(pair_file, tmp_path):
    out = tmp_path / "m.pt"
    args = ["--data", pair_file, "-b", "8", "-a", "tiny"]
    assert run("train", *args, "-e", "1", "-o", out).exit_code == 0
    torch.save({**load_checkpoint(out), "within_epoch": {"step": "x"}}, state_path(out))
    r = run("train", *args, "-e", "2", "--resume", out)
    assert_one_line(r, 1, f"{state_path(out)}: not a run's state", f"remove it to resume from {out}")
