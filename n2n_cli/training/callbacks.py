"""How a training run reports: the hooks a caller passes in (the CLI draws a progress bar from them), and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Callback:
    """Progress hooks; the CLI draws a progress bar from them, the course API uses none."""

    def on_start(self, epochs: int, start_epoch: int, steps_per_epoch: int, info: dict[str, Any]) -> None: ...

    def on_step(self, epoch: int, step: int, images: int, loss: float | None) -> None:
        """Called every step; `loss` (running mean of the epoch) only every few steps, to spare GPU syncs."""

    def on_estimate(self, epoch_s: float, run_s: float) -> None:
        """Before the first step: the seconds an epoch and the rest of the run should take, from a timed step."""

    def on_epoch(self, metrics: dict[str, Any]) -> None: ...

    def on_note(self, message: str) -> None:
        """Something the user should hear before or during the run (a stale lock taken over, what differs from the
        checkpoint resumed with `force`...)."""


@dataclass
class TrainResult:
    checkpoint: str | None
    epochs: int
    metrics: dict[str, Any]  # the last epoch's row of the metrics file
    rank: int
    info: dict[str, Any] = field(default_factory=dict)  # model, data, samples, batch size, lr, device, processes, noise
