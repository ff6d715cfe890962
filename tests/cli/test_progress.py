"""Progress on stderr: images per second counted from the end of the first step; the training line fits 80 columns,
with every field whole; the time left is known before the first step (the timed step's estimate)."""

import io
import types

from rich.console import Console

from n2n_cli.cli import progress
from n2n_cli.training import report

INFO = {"model": "fast", "model_kwargs": {"channels": 3, "widths": (56, 112, 224)}, "parameters": 1_234_567,
        "data": "train_data.pkl", "samples": 50_000, "batch_size": 16, "lr": 0.0014142135623730952,
        "device": "cpu", "processes": 1, "objective": "noise2noise"}  # fmt: skip


def _clock(monkeypatch, now):
    monkeypatch.setattr(report, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))


def test_images_per_second_count_from_the_end_of_the_first_step(monkeypatch):
    now = [0.0]
    _clock(monkeypatch, now)
    monkeypatch.setattr(progress, "LOG_EVERY", 0)
    out = io.StringIO()
    with progress.TrainProgress(Console(file=out, width=200)) as p:  # not a terminal: plain lines
        p.on_start(1, 0, 3, INFO)
        for step, t in enumerate([10.0, 10.5, 11.0]):  # the first step also waited for the loader to start
            now[0] = t
            p.on_step(0, step, 16, 0.01)
    lines = [line for line in out.getvalue().splitlines() if " step " in line]
    assert [line.split(" loss 0.01000 ")[1].split(" img/s")[0] for line in lines] == ["-", "32", "32"]


def test_the_banner_says_the_model_and_the_rate_in_words():
    out = io.StringIO()
    with progress.TrainProgress(Console(file=out, width=200)) as p:
        p.on_start(1, 0, 3, INFO)
    assert out.getvalue().splitlines()[0] == (
        "training fast network for RGB images (widths 56-112-224; 1.23 M parameters) on train_data.pkl: 50,000 "
        "samples, batch 16, lr 1.41e-3, cpu, Noise2Noise"
    )


def test_the_training_line_fits_80_columns_whole(monkeypatch):
    """A long run's line (10 epochs of 9,999 steps, 3.6 s a step, 9,999 img/s) in an 80-column terminal, every
    field whole; and the plain line that logs get."""
    now = [0.0]
    _clock(monkeypatch, now)
    term = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    with progress.TrainProgress(term) as p:
        p.progress.stop()  # the test renders the bar itself
        p.on_start(10, 0, 9_999, INFO)
        p.on_estimate(9_999 * 3.6, 10 * 9_999 * 3.6)
        p.on_step(9, 9_997, 16, 0.012345)
        now[0] = 7.2  # two steps timed: 3.6 s a step
        p.clock.images, p.clock.epoch_t0 = round(9_999 * 7.2) - 16, 0.0  # 9,999 img/s
        p.on_step(9, 9_998, 16, 0.012345)
        assert p.clock.left(0, -1) == ("9h59m", "99h59m")  # the longest times left, seen from the run's start
        p.progress.update(p.task, left="9h59m", run="99h59m")
        shown = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
        shown.print(p.progress.make_tasks_table(p.progress.tasks))
        (line,) = shown.file.getvalue().splitlines()
        fields = ["epoch 10/10", "9999/9999", "loss 0.01235", "9,999 img/s", "9h59m left (run 99h59m)"]
        assert len(line) <= 80 and all(f in line for f in fields), line
        plain = report.step_line(9, 10, 9_998, 9_999, "0.01235", "9,999", ("59:59", "99h59m"))
        assert len(plain) <= 80, plain


def test_the_time_left_is_known_before_the_first_step(monkeypatch):
    now = [0.0]
    _clock(monkeypatch, now)
    out = io.StringIO()
    with progress.TrainProgress(Console(file=out, width=200)) as p:
        p.on_start(2, 0, 100, INFO)
        p.on_estimate(100 * 0.5, 200 * 0.5)
        assert p.clock.left(0, -1) == ("0:50", "1:40")
    assert "estimated 0:50 per epoch, 1:40 for the run" in out.getvalue()


def test_one_final_loss_on_screen_and_saved(pair_file, tmp_path, monkeypatch):
    """The loss the last step line shows, the epoch line, the closing line and the metrics file agree."""
    import json

    from conftest import run

    monkeypatch.setattr(progress, "LOG_EVERY", 0)  # a step line after every step (stderr is not a terminal here)
    r = run("train", "--data", pair_file, "-a", "tiny", "-e", "1", "-b", "8", "-o", tmp_path / "m.pt")
    assert r.exit_code == 0, r.output
    saved = json.loads((tmp_path / "m.metrics.jsonl").read_text().splitlines()[-1])["loss"]
    steps = [line for line in r.stderr.splitlines() if " step " in line]
    assert steps[-1].startswith("epoch 1/1 step 8/8 ") and f" loss {saved:.5f} " in steps[-1]
    assert f"epoch 1/1 loss {saved:.5f}," in r.stderr and f"loss {saved:.5f})" in r.stdout
