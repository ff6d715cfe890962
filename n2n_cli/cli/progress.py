"""Rich progress bars on stderr for the CLI; the core only calls the plain callbacks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from ..errors import printable
from ..training.callbacks import Callback
from ..training.report import (
    LOG_EVERY,
    StepClock,
    epoch_line,
    estimate_line,
    resume_line,
    start_line,
    step_line,
)
from .app import note_line

BAR_WIDTH = 8  # the training bar's width: with the text beside it, a usual run's line fits 80 columns


class TrainProgress(Callback):
    """One bar per epoch with loss, images/s and the time left in the epoch and the run, under 80 columns; a line
    per finished epoch. Logs (stderr not a terminal) get a step line every LOG_EVERY seconds. Silent on ranks > 0."""

    def __init__(self, console: Console):
        self.console = console
        self.active = os.environ.get("RANK", "0") == "0"
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=BAR_WIDTH),
            MofNCompleteColumn(),
            TextColumn(
                "loss {task.fields[loss]} {task.fields[rate]} img/s {task.fields[left]} left (run {task.fields[run]})"
            ),
            console=console,
            transient=True,
            disable=not (self.active and console.is_terminal),
        )
        self.task: TaskID | None = None
        self.task_epoch = -1
        self.plain = self.active and not console.is_terminal  # logs to a file: a line every LOG_EVERY seconds
        self.last_line = 0.0
        self.loss = "-"

    def __enter__(self) -> TrainProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True, markup=False)  # paths as they are

    def on_start(self, epochs: int, start_epoch: int, steps_per_epoch: int, info: dict[str, Any]) -> None:
        self.epochs, self.steps = epochs, steps_per_epoch
        self.clock = StepClock(epochs, steps_per_epoch)
        self.last_line = time.perf_counter()
        if self.active:
            self._line(start_line(info))
            if start_epoch or info.get("start_step"):
                self._line(resume_line(epochs, start_epoch, info.get("start_step", 0), steps_per_epoch))

    def on_estimate(self, epoch_s: float, run_s: float) -> None:
        self.clock.estimated(epoch_s / max(self.steps, 1))
        if self.active:
            self._line(estimate_line(epoch_s, run_s))

    def on_step(self, epoch: int, step: int, images: int, loss: float | None) -> None:
        if self.task is None or self.task_epoch != epoch:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task_epoch = epoch
            self.task = self.progress.add_task(
                f"epoch {epoch + 1}/{self.epochs}",
                total=self.steps,
                completed=step,
                loss="-",
                rate="-",
                left="-",
                run="-",
            )
        self.clock.tick(step, images, step == 0)
        if loss is not None:
            self.loss = f"{loss:.5f}"
        left, run = self.clock.left(epoch, step)
        self.progress.update(self.task, advance=1, loss=self.loss, rate=self.clock.rate(), left=left, run=run)
        now = time.perf_counter()
        if self.plain and now - self.last_line >= LOG_EVERY:
            self.last_line = now
            self._line(step_line(epoch, self.epochs, step, self.steps, self.loss, self.clock.rate(), (left, run)))

    def on_note(self, message: str) -> None:
        if self.active:
            note_line(message)

    def on_epoch(self, m: dict[str, Any]) -> None:
        self._line(epoch_line(m, self.epochs))


class FileBars:
    """Progress of a run over files: a bar over the files, and one over the tiles of the file in progress (shown
    once a file holds more than one tile: a large photo takes a while)."""

    def __init__(self, progress: Progress, total: int):
        self.progress = progress
        self.files = progress.add_task("denoising", total=total)
        self.tile_task: TaskID | None = None

    def file(self, name: str) -> None:
        """A file is done."""
        self.progress.update(self.files, advance=1, description=escape(printable(name)[-40:]))
        if self.tile_task is not None:
            self.progress.remove_task(self.tile_task)
            self.tile_task = None

    def tiles(self, done: int, total: int) -> None:
        if total <= 1:
            return
        if self.tile_task is None:
            self.tile_task = self.progress.add_task("  tiles", total=total)
        self.progress.update(self.tile_task, completed=done, total=total)


def _bars(console: Console) -> Progress:
    """Transient bars on a terminal (none elsewhere): description, bar, done/total, time left."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def file_progress(console: Console, total: int) -> Iterator[FileBars]:
    """Bars over files and the tiles of each (FileBars)."""
    with _bars(console) as progress:
        yield FileBars(progress, total)


@contextmanager
def count_progress(console: Console, what: str) -> Iterator[Callable[[int, int], None]]:
    """A bar over a count (images scored...); yields `update(done, total)`."""
    with _bars(console) as progress:
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A spinner saying the stage in progress (on a terminal); yields `stage(what)`."""
    if not console.is_terminal:
        yield lambda what: None
        return
    with console.status("") as status:
        yield lambda what: status.update(escape(printable(what)) + "...")
