"""The trainer: Noise2Noise on pairs from any data source, or Neighbor2Neighbor on single noisy images (`single`),
on one device or under torchrun (DDP). What is learned from a batch is the objective's business (objectives.py).

Every epoch ends with an atomic checkpoint and a metrics file next to it; inside an epoch, the run's state is saved
every few minutes and when it is stopped (Ctrl-C, SIGTERM: state.py, interrupt.py), so an interruption loses
minutes at most and `resume` continues where it stopped, inside the epoch. Randomness is derived from (seed, epoch,
rank) and the position in the epoch, so a resumed run draws the same crops, noise and order as an uninterrupted
one. A loss that turns NaN or infinite stops the run with the last good checkpoint kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .. import defaults
from ..data import EvalSet, PairSet, TrainSource, open_train_source, open_val_set
from ..device import autocast, is_gpu, pick_device
from ..errors import UserError
from ..evaluation import estimate_pairs, validation_metrics
from ..flags import flag
from ..inference import Denoiser
from ..io.lock import file_lock, output_locks
from ..io.normalize import Normalization
from ..io.outputs import Outputs
from ..models import Net, count_parameters, create_model
from ..models.checkpoint import build_model, unwrap
from . import distributed as dist
from .callbacks import Callback, TrainResult
from .checkpoints import Start, check_outputs, init_sha256, load_optimizer, load_start, mark_best, save_epoch
from .config import TrainConfig
from .estimate import time_step
from .fingerprint import check_resume, fingerprint
from .interrupt import StopRequests
from .memory import check_size, check_training_memory
from .noise_check import correlated_note
from .objectives import make_objective
from .schedule import dihedral, epoch_order, lr_at, rng_seed
from .state import Position, StateKeeper, drop_state, save_state, state_path


class Diverged(UserError):
    """The loss became NaN or infinite."""


@dataclass
class Run:
    """Everything one training run works with, set up before its first epoch."""

    world: dist.World
    device: torch.device
    model: Net  # the plain model, whose weights the checkpoint holds
    net: Callable[[torch.Tensor], torch.Tensor]  # what the steps call: the model, wrapped for DDP or compiled
    opt: torch.optim.Optimizer
    source: TrainSource
    valset: EvalSet | PairSet | None
    batch: int  # global batch
    lr: float
    steps: int  # per epoch
    start_epoch: int
    history: list[dict[str, Any]]
    info: dict[str, Any]  # what the progress display shows at the start
    config: dict[str, Any]  # what the checkpoint records
    normalization: Normalization  # how image files reach the network's range (io/normalize.py)
    record: dict[str, Any]  # the run's fingerprint, data and options (fingerprint.py), also in the checkpoint
    comparable: int = 0  # history[comparable:] are epochs of this data and recipe: their losses bound a divergence
    within: Position | None = None  # where the first epoch resumes, inside it (state.py)


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        callback: Callback | None = None,
        source: TrainSource | None = None,
        model: Net | None = None,
    ):
        """`source` and `model`, when given, replace what cfg.data and cfg.arch describe (the course API)."""
        self.cfg, self.cb = cfg, callback or Callback()
        self.source, self.model = source, model
        self.kept: int | None = None  # the epoch the checkpoint file holds, said when training diverges
        self.epoch: int | None = None  # the epoch in progress (0-based), said when the run is interrupted
        self.outputs: Outputs | None = None  # what the run's writes may replace (io/outputs.py), on rank 0
        self.stops = StopRequests()
        self.keeper: StateKeeper | None = None  # what saves the state inside the epoch in progress
        self.objective = make_objective(cfg.single)

    def fit(self) -> TrainResult:
        world = dist.join_world(self.cfg.device)
        try:
            return self._fit(world)
        finally:
            dist.leave_world(world)

    def _fit(self, world: dist.World) -> TrainResult:
        locks = [file_lock(self.cfg.out)] if world.main and self.cfg.out else []
        stops = self.stops.installed() if self.cfg.out and world.size == 1 else nullcontext()  # as _keeper
        with output_locks(locks, self.cb.on_note), stops:  # two runs never write one checkpoint
            try:
                run = self._prepare(world)
                if world.main:
                    self.cb.on_start(self.cfg.epochs, run.start_epoch, run.steps, run.info)
                    step_s = time_step(run.model, run.source, run.batch // world.size, run.device, self.cfg)
                    left = (self.cfg.epochs - run.start_epoch) * run.steps - (run.within.step if run.within else 0)
                    self.cb.on_estimate(step_s * run.steps, step_s * left)
                last: dict[str, Any] = {}
                for epoch in range(run.start_epoch, self.cfg.epochs):
                    last = self._epoch(run, epoch)
            finally:
                if self.outputs is not None:
                    self.outputs.close()
        return TrainResult(self.cfg.out, self.cfg.epochs, last, world.rank, run.info)

    # --- setting up ---------------------------------------------------------------------------------------------

    def _prepare(self, world: dist.World) -> Run:
        """Data, model, optimizer and schedule for the run, in an order that keeps it repeatable: the model is
        initialised right after torch.manual_seed(cfg.seed)."""
        cfg = self.cfg
        device = dist.device_for(world, pick_device(cfg.device))
        start = load_start(cfg, self.model is not None)
        self.kept = start.kept
        if world.main:
            self.outputs = check_outputs(cfg, start)
        # the rule of the model continued (older checkpoints record none: the default), recorded in the new one
        rule = Normalization.from_record((start.ckpt or {}).get("config", {}).get("normalization"))
        source = self._open_source(start, rule)
        batch = cfg.batch_size or (defaults.BATCH_SIZE_CUDA if is_gpu(device) else defaults.BATCH_SIZE)
        if batch % world.size:
            raise UserError(f"{flag('batch_size')} {batch} must be divisible by the number of processes ({world.size})")
        lr = cfg.lr or defaults.LR * math.sqrt(batch / defaults.LR_BATCH)
        valset = self._open_valset(rule) if world.main else None
        if world.main and cfg.single and not cfg.resume and (note := correlated_note(str(cfg.data), source)):
            self.cb.on_note(note)
        torch.manual_seed(cfg.seed)
        model = self._build_model(start, source)
        record = fingerprint(cfg, source, model, batch, lr)
        same_data = check_resume(cfg, start.ckpt, record, self.cb.on_note) if cfg.resume and start.ckpt else True
        if start.within is not None and (start.ckpt or {}).get("config", {}).get("batch_size") != batch:
            self.cb.on_note(f"{cfg.resume}: another batch size, so epoch {start.epoch + 1} starts again")
            start.within = None  # its steps were counted in the old batches
        check_training_memory(model, source, batch, world.size, cfg.workers, device)
        # channels_last: faster convolutions on CPUs and GPUs alike (Module.to takes it; its stubs do not say so)
        model.to(device=device, memory_format=torch.channels_last)  # type: ignore[call-overload]
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        if start.optimizer is not None and start.init_from is None:  # --init starts optimizer and schedule afresh
            load_optimizer(opt, start.optimizer, cfg.resume)
            for group in opt.param_groups:
                group["lr"] = lr
        per_rank = batch // world.size
        source.start(device, per_rank, cfg.workers)
        steps = math.ceil(len(epoch_order(len(source), batch, cfg.seed, 0, world)) / per_rank)
        info = {
            "model": model.arch,
            "model_kwargs": dict(model.kwargs),
            "parameters": count_parameters(model),
            "start_step": start.within.step if start.within else 0,
            "data": source.name,
            "samples": len(source),
            "batch_size": batch,
            "lr": lr,
            "device": str(device),
            "processes": world.size,
            "noise": str(cfg.noise) if cfg.noise else None,
            "objective": "neighbor2neighbor" if cfg.single else "noise2noise",
        }
        config = cfg.record(batch_size=batch, lr=lr, normalization=rule.record(), **init_sha256(start))
        return Run(
            world,
            device,
            model,
            dist.wrap(model, device, world, cfg.compile),
            opt,
            source,
            valset,
            batch,
            lr,
            steps,
            start.epoch,
            start.history,
            info,
            config,
            rule,
            record,
            0 if same_data else len(start.history),
            start.within,
        )

    def _open_source(self, start: Start, rule: Normalization) -> TrainSource:
        """The training data, read with the channels of the model it trains when that model comes from a file."""
        cfg = self.cfg
        channels = (
            start.ckpt.get("model_kwargs", {}).get("channels")
            if start.ckpt
            else (self.model.channels if self.model is not None else None)
        )
        source = self.source or open_train_source(
            cfg.data,
            cfg.target,
            cfg.recipe(),
            cfg.patch_size,
            cfg.mmap,
            cfg.single,
            channels or cfg.channels,
            cfg.max_pixels,
            rule,
        )
        if cfg.channels not in (None, source.channels):
            held = f"{cfg.init or cfg.resume} is a" if channels else f"{cfg.data} holds"
            raise UserError(
                f"{flag('channels')} {cfg.channels}: {held} {source.channels}-channel {'model' if channels else 'data'}"
            )
        return source

    def _open_valset(self, rule: Normalization) -> EvalSet | PairSet | None:
        cfg = self.cfg
        if not cfg.val:
            return None
        valset = open_val_set(
            cfg.val, cfg.val_clean, cfg.val_noise, cfg.val_target, cfg.val_pairs, cfg.max_pixels, rule
        )
        # any channel count validates: the Denoiser serves gray images to a colour model and the reverse
        if isinstance(valset, PairSet):
            estimate_pairs(None, valset)  # refuse pairs the estimate cannot use now, not after an epoch
        return valset

    def _build_model(self, start: Start, source: TrainSource) -> Net:
        """The model from the checkpoint resumed or the --init file, the caller's, or a new one of cfg.arch."""
        if start.ckpt is not None:
            origin = start.init_from or self.cfg.resume or "checkpoint"
            model = build_model(start.ckpt, origin)
            if model.channels != source.channels:
                raise UserError(
                    f"{origin}: a {model.channels}-channel model cannot train on {source.channels}-channel data"
                )
        else:
            model = self.model or create_model(self.cfg.arch or defaults.MODEL, channels=source.channels)
        check_size(model, source, self.cfg.single)
        return model

    # --- training -----------------------------------------------------------------------------------------------

    def _epoch(self, run: Run, epoch: int) -> dict[str, Any]:
        """One epoch, then (on rank 0) validation, the checkpoint and the metrics file; returns its metrics row."""
        self.epoch = epoch
        t0 = time.perf_counter()
        loss_sum, seen = self._steps(run, epoch)
        seconds = time.perf_counter() - t0
        loss = loss_sum / max(seen, 1)
        if dist.any_rank(not math.isfinite(loss), run.world, run.device):
            raise Diverged(self._diverged(epoch))
        limit = self._loss_limit(run)
        if dist.any_rank(loss > limit, run.world, run.device):  # finite, but far beyond any sane run's loss
            raise Diverged(self._diverged(epoch, f"the loss rose to {loss:.3g} (over {limit:.3g})"))
        if not all(torch.isfinite(p).all() for p in run.model.parameters()):  # the last step can break them alone
            raise Diverged(self._diverged(epoch, "the weights became NaN or infinite"))
        last = {
            "epoch": epoch + 1,
            "loss": loss,
            "seconds": round(seconds, 3),
            "images_per_s": round(seen * run.world.size / seconds, 1),
        }
        if run.world.main:
            best = False
            if run.valset is not None:
                denoiser = Denoiser(unwrap(run.model), run.device, normalization=run.normalization)
                last.update(validation_metrics(denoiser, run.valset))
                best = mark_best(run.history, last)
            run.history.append(last)
            if self.cfg.out and self.outputs is not None:
                save_epoch(
                    self.cfg.out,
                    run.model,
                    epoch + 1,
                    run.history,
                    run.opt.state_dict(),
                    run.config,
                    self.kept,
                    self.outputs,
                    best,
                    self.cfg.keep_epochs,
                    run=run.record,
                    run_id=self.outputs.run,
                )
                self.kept = epoch + 1
                drop_state(self.cfg.out)  # the epoch's checkpoint is ahead of any state saved inside it
            self.cb.on_epoch(last)
        dist.barrier(run.world)
        return last

    def _keeper(self, run: Run, epoch: int) -> StateKeeper | None:
        """What saves the run's state inside epoch `epoch`: with a checkpoint file, in one process (under torchrun
        each process's generator would have to be gathered: such runs resume at epoch boundaries)."""
        if not self.cfg.out or run.world.size > 1 or (outputs := self.outputs) is None:
            return None

        def write(at: Position) -> None:
            fields = {"optimizer": run.opt.state_dict(), "config": run.config, "run": run.record, "run_id": outputs.run}
            save_state(state_path(str(self.cfg.out)), run.model, epoch, at, outputs, metrics=run.history, **fields)

        return StateKeeper(write, self.stops, self.cb.on_note)

    def _steps(self, run: Run, epoch: int) -> tuple[float, int]:
        """The optimisation steps of one epoch: (sum of the losses weighted by batch size, samples seen). A resumed
        run's first epoch starts where its state stood (run.within)."""
        cfg, device = self.cfg, run.device
        seed = rng_seed(cfg.seed, epoch, run.world.rank + 1)
        g = torch.Generator(device=device).manual_seed(seed)  # augmentation, distinct per process
        order = epoch_order(len(run.source), run.batch, cfg.seed, epoch, run.world)
        if isinstance(run.net, nn.Module):
            run.net.train()
        loss_sum, seen, first = torch.zeros((), device=device), 0, 0
        if run.within is not None:  # resuming inside this epoch
            at, run.within = run.within, None
            g.set_state(at.rng.to(g.get_state().device))
            loss_sum, seen, first = at.loss_sum.to(device).reshape(()), at.seen, at.step
        keeper = self.keeper = self._keeper(run, epoch)

        def forward(x: torch.Tensor) -> torch.Tensor:
            with autocast(device, cfg.cpu_bf16):
                return run.net(x.contiguous(memory_format=torch.channels_last)).float()

        def position() -> Position:
            return Position(taken, loss_sum, seen, g.get_state())

        batches = run.source.epoch(order, seed, first * (run.batch // run.world.size))  # crops keyed by position
        taken = first
        with self.stops.deferred():
            try:
                for step, batch in enumerate(batches, start=first):
                    loss_sum, seen = self._step(run, epoch, step, batch, g, forward, loss_sum, seen)
                    taken = step + 1
                    if keeper is not None:
                        keeper.after_step(position)
            except Exception:
                if keeper is not None and self.stops.pending:  # a loader process the same Ctrl-C ended: stop here
                    keeper.stop(position())
                raise
        return loss_sum.item(), seen

    def _step(
        self,
        run: Run,
        epoch: int,
        step: int,
        batch: Any,
        g: torch.Generator,
        forward: Callable[[torch.Tensor], torch.Tensor],
        loss_sum: torch.Tensor,
        seen: int,
    ) -> tuple[torch.Tensor, int]:
        """One optimisation step; returns the epoch's running (loss sum, samples seen)."""
        cfg, device = self.cfg, run.device
        batch = [t.to(device, non_blocking=True) for t in batch]
        if cfg.augment:
            batch = dihedral(batch, g)
        done = epoch * run.steps + step
        loss = self.objective(forward, batch, g, (done + 1) / (cfg.epochs * run.steps))
        for group in run.opt.param_groups:
            group["lr"] = lr_at(done, cfg.epochs * run.steps, run.lr, cfg.schedule)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        run.opt.step()
        k = batch[0].shape[0]
        loss_sum = loss_sum + loss.detach() * k
        seen += k
        last = step + 1 == run.steps  # the epoch's mean loss, as saved, is the last one shown
        mean = (loss_sum / seen).item() if step % 20 == 0 or last else None
        if mean is not None and dist.any_rank(not math.isfinite(mean), run.world, device):
            raise Diverged(self._diverged(epoch))
        if run.world.main:
            self.cb.on_step(epoch, step, k * run.world.size, mean)
        return loss_sum, seen

    def _loss_limit(self, run: Run) -> float:
        """An epoch's loss above this is divergence: DIVERGED_LOSS, or DIVERGED_RATIO times the best epoch so far on
        the same data (a run diverging slowly stays finite for a while, and must not replace the good checkpoint)."""
        earlier = [m["loss"] for m in run.history[run.comparable :] if math.isfinite(m.get("loss", math.nan))]
        return min(defaults.DIVERGED_LOSS, defaults.DIVERGED_RATIO * min(earlier, default=math.inf))

    def _diverged(self, epoch: int, what: str = "the loss became NaN or infinite") -> str:
        kept = f"{self.cfg.out} still holds epoch {self.kept}" if self.kept is not None else "no checkpoint was written"
        return (
            f"training diverged: {what} in epoch {epoch + 1} ({kept}); "
            f"check the data for NaN values, or lower {flag('lr')}"
        )
