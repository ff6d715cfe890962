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
from .app import note_line

LOG_EVERY = 60.0  # seconds between progress lines when stderr is not a terminal


class TrainProgress(Callback):
    """One bar per epoch with loss, images/s and time left; a line per finished epoch. Silent on ranks > 0."""

    def __init__(self, console: Console):
        self.console = console
        self.active = os.environ.get("RANK", "0") == "0"
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}  {task.fields[rate]} img/s  epoch left"),
            TimeRemainingColumn(),
            TextColumn("run left {task.fields[eta]}"),
            console=console,
            transient=True,
            disable=not (self.active and console.is_terminal),
        )
        self.task: TaskID | None = None
        self.plain = self.active and not console.is_terminal  # logs to a file: a line every LOG_EVERY seconds
        self.last_line = 0.0

    def __enter__(self) -> TrainProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def on_start(self, epochs: int, start_epoch: int, steps_per_epoch: int, info: dict[str, Any]) -> None:
        self.epochs, self.steps = epochs, steps_per_epoch
        self.last_line = self.run_t0 = time.perf_counter()
        self.run_steps = 0  # steps taken by this process (a resumed run counts from its own start)
        if self.active:
            what = printable(", ".join(f"{k} {v}" for k, v in info.items() if v is not None))
            self.console.print(f"training: {what}", highlight=False, soft_wrap=True, markup=False)  # paths as they are
            if start_epoch:
                self.console.print(f"resuming after epoch {start_epoch} of {epochs}", highlight=False)

    def on_step(self, epoch: int, step: int, images: int, loss: float | None) -> None:
        if step == 0:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.t0, self.images = time.perf_counter(), 0  # the rate counts from the end of the first step
            self.task = self.progress.add_task(
                f"epoch {epoch + 1}/{self.epochs}", total=self.steps, loss="-", rate="-", eta="-"
            )
        else:
            self.images += images
        self.run_steps += 1
        now = time.perf_counter()
        left = (self.epochs - epoch - 1) * self.steps + self.steps - step - 1
        fields: dict[str, Any] = {
            "rate": f"{self.images / (now - self.t0):,.0f}" if self.images else "-",
            "eta": _clock(left * (now - self.run_t0) / self.run_steps),
        }
        if loss is not None:
            fields["loss"] = f"{loss:.5f}"
        if self.task is not None:
            self.progress.update(self.task, advance=1, **fields)
        if self.plain and now - self.last_line >= LOG_EVERY:
            self.last_line = now
            self.console.print(
                f"epoch {epoch + 1}/{self.epochs} step {step + 1}/{self.steps}  {fields['rate']} img/s"
                + (f"  loss {loss:.5f}" if loss is not None else "")
                + f"  run left {fields['eta']}",
                highlight=False,
            )

    def on_note(self, message: str) -> None:
        if self.active:
            note_line(message)

    def on_epoch(self, m: dict[str, Any]) -> None:
        val = ""
        if "val_psnr" in m:
            val = f"  val PSNR {m['val_psnr']:.2f} dB (noisy {m['val_psnr_noisy']:.2f})"
        elif "val_psnr_estimate" in m:
            out = m["val_psnr_estimate"]
            val = (
                f"  val PSNR estimated from pairs {'n/a' if out is None else f'{out:.2f}'} dB "
                f"(noisy {m['val_psnr_noisy_estimate']:.2f}, sigma {m['val_sigma_estimate']:.1f})"
            )
        self.console.print(
            f"epoch {m['epoch']}/{self.epochs}  loss {m['loss']:.5f}  "
            f"{m['images_per_s']:,.0f} img/s  {m['seconds']:.1f} s{val}",
            highlight=False,
        )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


@contextmanager
def file_progress(console: Console, total: int) -> Iterator[Callable[[str], None]]:
    """A bar over files; yields a function to call after each file with its name."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("denoising", total=total)
        yield lambda name: progress.update(task, advance=1, description=escape(printable(name)[-40:]))
