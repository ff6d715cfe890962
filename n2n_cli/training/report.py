"""A training run in lines of text: the banner, the estimate before the first step, a step line, an epoch line, each
under 80 columns for usual runs. The CLI draws them (and its bar) on stderr; `TextProgress` prints them for the
course API's `Model.train`."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ..errors import printable
from ..humanize import clock, describe_model, number
from .callbacks import Callback

LOG_EVERY = 60.0  # seconds between step lines when they go to a log (a file, a notebook), not a live bar


def start_line(info: dict[str, Any]) -> str:
    """What the run trains, on what, how: "training fast network for RGB images (...) on DATA: 64 samples, ..."."""
    model = describe_model(info["model"], info.get("model_kwargs", {}), info.get("parameters"))
    how = [
        f"{number(info['samples'])} samples",
        f"batch {info['batch_size']}",
        f"lr {number(info['lr'])}",
        str(info["device"]) + (f" x {info['processes']} processes" if info.get("processes", 1) > 1 else ""),
        "Neighbor2Neighbor" if info.get("objective") == "neighbor2neighbor" else "Noise2Noise",
    ]
    if info.get("noise"):
        how.append(f"noise {info['noise']}")
    return printable(f"training {model} on {info['data']}: {', '.join(how)}")


def resume_line(epochs: int, start_epoch: int, start_step: int, steps: int) -> str:
    if start_step:
        return f"resuming epoch {start_epoch + 1} of {epochs} at step {start_step + 1} of {steps}"
    return f"resuming after epoch {start_epoch} of {epochs}"


def estimate_line(epoch_s: float, run_s: float) -> str:
    return f"estimated {clock(epoch_s)} per epoch, {clock(run_s)} for the run (network time of a timed step)"


def epoch_line(m: dict[str, Any], epochs: int) -> str:
    """The line of a finished epoch, with the loss the metrics file and the checkpoint keep."""
    val = ""
    if "val_psnr" in m:
        val = f", val {m['val_psnr']:.2f} dB (noisy {m['val_psnr_noisy']:.2f})"
    elif "val_psnr_estimate" in m:
        out = m["val_psnr_estimate"]
        val = (
            f", val ~{'n/a' if out is None else f'{out:.2f}'} dB from pairs "
            f"(noisy {m['val_psnr_noisy_estimate']:.2f}, sigma {m['val_sigma_estimate']:.1f})"
        )
    return (
        f"epoch {m['epoch']}/{epochs} loss {m['loss']:.5f}, {number(round(m['images_per_s']))} img/s, "
        f"{clock(m['seconds'])}{val}"
    )


class StepClock:
    """Time left in the epoch and the run, from the steps this process has timed (before the first: the estimate)."""

    def __init__(self, epochs: int, steps: int, step_s: float | None = None):
        self.epochs, self.steps, self.step_s = epochs, steps, step_s
        self.t0 = time.perf_counter()
        self.taken = 0
        self.epoch_t0, self.images = self.t0, 0

    def estimated(self, step_s: float) -> None:
        """The timed step's estimate, until steps are timed; the clock starts now (after the timing)."""
        self.step_s, self.t0 = step_s, time.perf_counter()

    def tick(self, step: int, images: int, first_of_epoch: bool) -> None:
        now = time.perf_counter()
        if first_of_epoch:  # the rate counts from the end of the epoch's first step
            self.epoch_t0, self.images = now, 0
        else:
            self.images += images
        self.taken += 1
        self.step_s = (now - self.t0) / self.taken

    def rate(self) -> str:
        elapsed = time.perf_counter() - self.epoch_t0
        return number(round(self.images / elapsed)) if self.images and elapsed > 0 else "-"

    def left(self, epoch: int, step: int) -> tuple[str, str]:
        """(epoch left, run left) after step `step` (0-based) of epoch `epoch`."""
        if self.step_s is None:
            return "-", "-"
        in_epoch = self.steps - step - 1
        return clock(in_epoch * self.step_s), clock(((self.epochs - epoch - 1) * self.steps + in_epoch) * self.step_s)


def step_line(epoch: int, epochs: int, step: int, steps: int, loss: str, rate: str, left: tuple[str, str]) -> str:
    return f"epoch {epoch + 1}/{epochs} step {step + 1}/{steps} loss {loss} {rate} img/s {left[0]} left (run {left[1]})"


class TextProgress(Callback):
    """Plain lines on a stream (stderr by default): the banner, the estimate, a step line every LOG_EVERY seconds
    and a line per epoch. What the course API's `Model.train` shows unless told not to."""

    def __init__(self, stream: TextIO | None = None, every: float = LOG_EVERY):
        self.stream, self.every = stream, every
        self.loss = "-"

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stderr, flush=True)

    def on_start(self, epochs: int, start_epoch: int, steps_per_epoch: int, info: dict[str, Any]) -> None:
        self.epochs, self.steps = epochs, steps_per_epoch
        self.clock = StepClock(epochs, steps_per_epoch)
        self.last = time.perf_counter()
        self._print(start_line(info))
        if start_epoch or info.get("start_step"):
            self._print(resume_line(epochs, start_epoch, info.get("start_step", 0), steps_per_epoch))

    def on_estimate(self, epoch_s: float, run_s: float) -> None:
        self.clock.estimated(epoch_s / max(self.steps, 1))
        self._print(estimate_line(epoch_s, run_s))

    def on_step(self, epoch: int, step: int, images: int, loss: float | None) -> None:
        self.clock.tick(step, images, step == 0)
        if loss is not None:
            self.loss = f"{loss:.5f}"
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            left = self.clock.left(epoch, step)
            self._print(step_line(epoch, self.epochs, step, self.steps, self.loss, self.clock.rate(), left))

    def on_epoch(self, metrics: dict[str, Any]) -> None:
        self._print(epoch_line(metrics, self.epochs))

    def on_note(self, message: str) -> None:
        self._print(f"note: {printable(message)}")
