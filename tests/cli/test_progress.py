"""Progress on stderr: images per second counted from the end of the first step."""

import io
import types

from rich.console import Console

from n2n_cli.cli import progress


def test_images_per_second_count_from_the_end_of_the_first_step(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    monkeypatch.setattr(progress, "LOG_EVERY", 0)
    out = io.StringIO()
    with progress.TrainProgress(Console(file=out, width=200)) as p:  # not a terminal: plain lines
        p.on_start(1, 0, 3, {"model": "tiny"})
        for step, t in enumerate([10.0, 10.5, 11.0]):  # the first step also waited for the loader to start
            now[0] = t
            p.on_step(0, step, 16, 0.01)
    lines = [line for line in out.getvalue().splitlines() if "step" in line]
    assert [line.split("  ")[1] for line in lines] == ["- img/s", "32 img/s", "32 img/s"]
