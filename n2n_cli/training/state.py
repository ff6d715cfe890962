"""A run's state inside an epoch, so that an interruption loses minutes, not an epoch: NAME.state.pt beside the
checkpoint, written atomically every defaults.STATE_EVERY_S seconds and when the run is stopped (Ctrl-C, SIGTERM),
at a step boundary. It is a checkpoint (model, optimizer, metrics of the finished epochs, config, run record) plus
where the epoch in progress stands: the steps taken, the running loss sum and the samples seen, and the state of the
epoch's generator (augmentation, Neighbor2Neighbor's draws). The order and the crops are keyed by (seed, epoch,
position), so `resume` continues the epoch with the batches the uninterrupted run would have drawn.

Once an epoch's checkpoint is saved, the state is out of date and removed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import torch
from torch import nn

from .. import defaults
from ..errors import CheckpointError, UserError
from ..io import atomic_save, fit_name
from ..io.atomic import Rule
from ..models.checkpoint import load_checkpoint, make_checkpoint
from .interrupt import StopRequests


@dataclass
class Position:
    """Where an epoch stands: `step` steps taken, the losses' sum (weighted by batch size) and samples seen so far,
    and the epoch generator's state after them."""

    step: int
    loss_sum: torch.Tensor
    seen: int
    rng: torch.Tensor


def state_path(checkpoint: str | Path) -> Path:
    """Where a run keeps its state inside an epoch, beside its checkpoint: NAME.state.pt."""
    p = Path(checkpoint)
    return p.with_name(fit_name(p.stem + ".state" + p.suffix, keep=".state" + p.suffix))


def save_state(
    path: str | Path, model: nn.Module, epoch: int, at: Position, rule: Rule | None = None, **fields: Any
) -> None:
    """The state of a run in epoch `epoch` (0-based: `epoch` epochs are finished), atomically, by the run's write
    `rule` (io/outputs.py); `fields`: the checkpoint's (optimizer, metrics, config, run, run_id)."""
    within = {"step": at.step, "loss_sum": at.loss_sum.detach().cpu(), "seen": at.seen, "rng": at.rng.cpu()}
    atomic_save(make_checkpoint(model, epoch=epoch, within_epoch=within, **fields), path, rule)


def load_state(checkpoint: str | Path, finished: int | None) -> tuple[dict[str, Any], Position] | None:
    """The state beside `checkpoint` when it is ahead of the checkpoint (`finished`: the epochs the checkpoint
    holds, None when there is none), else None."""
    path = state_path(checkpoint)
    if not path.is_file():
        return None
    state = load_checkpoint(path)
    within, epoch = state.get("within_epoch"), state.get("epoch")
    try:
        at = Position(int(within["step"]), within["loss_sum"], int(within["seen"]), within["rng"])  # type: ignore[index]
        assert isinstance(epoch, int) and torch.is_tensor(at.loss_sum) and torch.is_tensor(at.rng) and at.step >= 0
    except (TypeError, KeyError, ValueError, AssertionError):
        raise CheckpointError(
            f"{path}: not a run's state inside an epoch as n2n writes it; remove it to resume from {checkpoint}"
        ) from None
    if finished is not None and epoch < finished:
        return None
    return state, at


def drop_state(checkpoint: str | Path) -> None:
    """Remove the state beside `checkpoint`: an epoch's checkpoint replaces it."""
    state_path(checkpoint).unlink(missing_ok=True)


class StateKeeper:
    """Saves the state of the epoch in progress after a step: when a stop is pending (then stops the run), and
    every defaults.STATE_EVERY_S (a disk that refuses then is said in a note, and the run goes on)."""

    def __init__(self, write: Callable[[Position], None], stops: StopRequests, note: Callable[[str], None]):
        self.write, self.stops, self.note = write, stops, note
        self.last = time.monotonic()
        self.saved: int | None = None  # the steps the state holds, once saved for a stop

    def after_step(self, position: Callable[[], Position]) -> None:
        if self.stops.pending:
            self.stop(position())
        if time.monotonic() - self.last >= defaults.STATE_EVERY_S:
            try:
                self.write(position())
            except UserError as e:
                self.note(f"{e}; training goes on, its state inside the epoch not saved")
            self.last = time.monotonic()

    def stop(self, at: Position) -> NoReturn:
        """Save the state `at` and stop the run: a stop was asked for."""
        self.write(at)
        self.saved = at.step
        raise KeyboardInterrupt
