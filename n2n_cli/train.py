"""The trainer: Noise2Noise on pairs from any data source, or Neighbor2Neighbor on single noisy images (`single`),
on one device or under torchrun (DDP). What is learned from a batch is the objective's business (objectives.py).

Every epoch ends with an atomic checkpoint and a metrics file next to it, so an interruption loses at most one
epoch and `resume` continues where it stopped. Randomness is derived from (seed, epoch, rank), so a resumed run
draws the same crops, noise and order as an uninterrupted one. A loss that turns NaN or infinite stops the run with
the last good checkpoint kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import torch

from . import defaults
from . import runtime as rt
from .atomic import atomic_write, check_output, same_file
from .checkpoints import atomic_save, build_model, load_checkpoint, make_checkpoint, resolve_model_path, unwrap
from .errors import UserError
from .evaluation import estimate_pairs, validation_metrics
from .infer import Denoiser
from .models import create_model
from .noise import AnyNoise
from .objectives import make_objective
from .patches import PatchSource
from .sources import PairSet, TrainSource, open_train_source, open_val_set
from .synthetic import PairRecipe


@dataclass
class TrainConfig:
    data: str
    target: Optional[str] = None  # second folder of noisy images, matched by name
    single: bool = False  # `data` holds single noisy images: train with Neighbor2Neighbor (objectives.py)
    noise: Optional[AnyNoise] = None  # synthesise pairs from clean images, e.g. parse_noise("gaussian:5-50")
    clean_share: float = defaults.CLEAN_SHARE  # with `noise`: share of inputs left clean (targets stay noisy)
    gray_share: float = defaults.GRAY_SHARE  # with `noise`: share of colour crops made gray
    jpeg_share: float = defaults.JPEG_SHARE  # with `noise`: share of noisy inputs saved as JPEG
    dark_share: float = defaults.DARK_SHARE  # with `noise`: share of crops darkened before the noise
    arch: Optional[str] = None  # None: defaults.MODEL, or the architecture of the checkpoint resumed
    epochs: int = defaults.EPOCHS
    batch_size: Optional[int] = None  # None: defaults.BATCH_SIZE on the CPU, defaults.BATCH_SIZE_CUDA on a GPU
    lr: Optional[float] = None  # None: defaults.LR scaled by sqrt(batch / defaults.LR_BATCH)
    schedule: str = defaults.SCHEDULE  # "cosine": lr decays to 0 over the run; "constant": the report's way
    patch_size: int = defaults.PATCH_SIZE
    channels: Optional[int] = None  # 1 or 3: read image folders so and build the model so; None: the data's own
    augment: bool = defaults.AUGMENT
    val: Optional[str] = None
    val_clean: Optional[str] = None
    val_noise: Optional[AnyNoise] = None
    val_target: Optional[str] = None  # `val` is noisy pairs with this second folder: PSNR estimated from the pairs
    val_pairs: bool = False  # `val` is noisy pairs (any pair source); scene folders and stacks are so without asking
    out: Optional[str] = defaults.CHECKPOINT  # None: keep the model in memory only (the course API)
    device: str = "auto"
    seed: int = defaults.SEED
    workers: int = defaults.WORKERS
    resume: Optional[str] = None
    init: Optional[str] = None  # start from this model's weights (a checkpoint or a bundled name), fresh optimizer
    compile: bool = False
    mmap: bool = True  # memory-map tensor files instead of reading them whole
    overwrite: bool = False  # replace an existing `out` that is not the checkpoint being resumed
    cpu_bf16: bool = False  # bf16 autocast on CPUs with native bf16 (AVX-512 BF16 / AMX); ignored elsewhere


class Callback:
    """Progress hooks; the CLI draws a progress bar from them, the course API uses none."""

    def on_start(self, epochs: int, start_epoch: int, steps_per_epoch: int, info: dict) -> None: ...

    def on_step(self, epoch: int, step: int, images: int, loss: float | None) -> None:
        """Called every step; `loss` (running mean of the epoch) only every few steps, to spare GPU syncs."""

    def on_epoch(self, metrics: dict) -> None: ...


def metrics_path(checkpoint: str | Path) -> Path:
    p = Path(checkpoint)
    return p.with_name(p.stem + ".metrics.jsonl")


def _rng_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch) * 1_009 + rank


@dataclass
class TrainResult:
    checkpoint: Optional[str]
    epochs: int
    metrics: dict  # the last epoch's row of the metrics file
    rank: int
    info: dict = field(default_factory=dict)  # model, data, samples, batch size, lr, device, processes, noise


class Diverged(UserError):
    """The loss became NaN or infinite."""


def epoch_order(n: int, batch: int, seed: int, epoch: int, world: rt.World) -> torch.Tensor:
    """This process's sample indices for one epoch. All processes shuffle alike; each global batch is split into
    equal shards, one per process, so DDP sees the same batches as one process with the same global batch."""
    g = torch.Generator().manual_seed(_rng_seed(seed, epoch, 0))
    perm = torch.randperm(n, generator=g)
    while len(perm) < batch:  # tiny data sets: an epoch is at least one full batch
        perm = torch.cat([perm, torch.randperm(n, generator=g)])
    if world.size == 1:
        return perm
    full = len(perm) // batch
    return perm[: full * batch].view(full, world.size, batch // world.size)[:, world.rank].reshape(-1)


def lr_at(step: int, total: int, base: float, schedule: str) -> float:
    """The learning rate at `step` of `total`: constant, or a half cosine from `base` down to 0."""
    if schedule == "constant":
        return base
    return base * 0.5 * (1 + math.cos(math.pi * min(step / max(total, 1), 1.0)))


def dihedral(images: Sequence[torch.Tensor], g: torch.Generator) -> list[torch.Tensor]:
    """The same random flip / 90-degree rotation for every image of a sample: both of a pair, or a single image
    (each N x C x H x W)."""
    n = images[0].shape[0]
    r = torch.rand(n, 3, generator=g, device=images[0].device) < 0.5
    x = torch.stack(list(images))  # K x N x C x H x W
    x = torch.where(r[:, 0].view(1, n, 1, 1, 1), x.flip(-1), x)
    x = torch.where(r[:, 1].view(1, n, 1, 1, 1), x.flip(-2), x)
    if x.shape[-1] == x.shape[-2]:
        x = torch.where(r[:, 2].view(1, n, 1, 1, 1), x.transpose(-1, -2), x)
    return list(x)


class Trainer:
    def __init__(self, cfg: TrainConfig, callback: Callback | None = None, source: TrainSource | None = None,
                 model: torch.nn.Module | None = None):
        """`source` and `model`, when given, replace what cfg.data and cfg.arch describe (the course API)."""
        self.cfg, self.cb = cfg, callback or Callback()
        self.source, self.model = source, model
        self.kept: int | None = None  # the epoch the checkpoint file holds, said when training diverges
        self.objective = make_objective(cfg.single)

    def fit(self) -> TrainResult:
        world = rt.join_world(self.cfg.device)
        try:
            return self._fit(self.cfg, world)
        finally:
            rt.leave_world(world)

    def _check(self, cfg: TrainConfig) -> None:
        """Option values and output paths, before any data is read."""
        if cfg.lr is not None and not (math.isfinite(cfg.lr) and cfg.lr > 0):
            raise UserError(f"--lr {cfg.lr}: the learning rate must be a finite number above 0")
        if cfg.epochs < 1:
            raise UserError(f"--epochs {cfg.epochs}: train for at least one epoch")
        if cfg.init and cfg.resume:
            raise UserError("--init and --resume: choose one (--resume continues a run with its optimizer and "
                            "schedule; --init starts a new run from a model's weights)")
        if cfg.out:
            inputs = [cfg.data, cfg.target, cfg.val, cfg.val_clean, cfg.val_target,
                      resolve_model_path(cfg.init) if cfg.init else None]
            resuming_out = cfg.resume is not None and Path(cfg.out).exists() and Path(cfg.resume).exists() \
                and Path(cfg.out).samefile(cfg.resume)
            check_output(cfg.out, inputs, "--output", cfg.overwrite, may_replace=resuming_out)
            check_output(metrics_path(cfg.out), inputs, "--output's metrics file", True)

    def _fit(self, cfg: TrainConfig, world: rt.World) -> TrainResult:
        if world.main:
            self._check(cfg)
        device = rt.device_for(world, rt.pick_device(cfg.device))
        start_epoch, history, opt_state, ckpt = 0, [], None, None
        self.kept = None  # the epoch cfg.out holds from this run, or from the checkpoint resumed into it
        if cfg.resume:
            ckpt = load_checkpoint(cfg.resume)
            start_epoch = ckpt.get("epoch", 0)
            if cfg.out and Path(cfg.out).exists() and same_file(cfg.out, cfg.resume):
                self.kept = start_epoch
            if cfg.epochs <= start_epoch:
                raise UserError(f"{cfg.resume}: already trained {start_epoch} epochs; --epochs {cfg.epochs} must be "
                                "more to continue")
            if self.model is None and cfg.arch is not None and cfg.arch != ckpt["model"]:
                raise UserError(f"{cfg.resume}: a {ckpt['model']!r} checkpoint cannot resume as --arch {cfg.arch}")
        init_from = None
        if cfg.init and self.model is None:
            init_from = resolve_model_path(cfg.init)
            ckpt = load_checkpoint(init_from)
            if cfg.arch is not None and cfg.arch != ckpt["model"]:
                raise UserError(f"{cfg.init}: a {ckpt['model']!r} model cannot start a --arch {cfg.arch} run")
        recipe = PairRecipe(cfg.noise, cfg.clean_share, cfg.gray_share, cfg.jpeg_share,
                            dark_share=cfg.dark_share) if cfg.noise else None
        channels = ckpt.get("model_kwargs", {}).get("channels") if ckpt else getattr(self.model, "channels", None)
        source = self.source or open_train_source(cfg.data, cfg.target, recipe, cfg.patch_size, cfg.mmap, cfg.single,
                                                  channels or cfg.channels)
        if cfg.channels not in (None, source.channels):
            held = f"{cfg.init or cfg.resume} is a" if channels else f"{cfg.data} holds"
            raise UserError(f"--channels {cfg.channels}: {held} {source.channels}-channel {'model' if channels else 'data'}")
        batch = cfg.batch_size or (defaults.BATCH_SIZE_CUDA if device.type == "cuda" else defaults.BATCH_SIZE)
        if batch % world.size:
            raise UserError(f"--batch-size {batch} must be divisible by the number of processes ({world.size})")
        lr = cfg.lr or defaults.LR * math.sqrt(batch / defaults.LR_BATCH)
        valset = None
        if cfg.val and world.main:
            valset = open_val_set(cfg.val, cfg.val_clean, cfg.val_noise, cfg.val_target, cfg.val_pairs)
            # any channel count validates: the Denoiser serves gray images to a colour model and the reverse
            if isinstance(valset, PairSet):
                estimate_pairs(None, valset)  # refuse pairs the estimate cannot use now, not after an epoch

        torch.manual_seed(cfg.seed)
        if ckpt is not None:
            model = build_model(ckpt, init_from or cfg.resume)
            if model.channels != source.channels:
                raise UserError(f"{init_from or cfg.resume}: a {model.channels}-channel model cannot train on "
                                f"{source.channels}-channel data")
            if init_from is None:  # resuming: the run's history and optimizer go on; --init starts both afresh
                history, opt_state = list(ckpt.get("metrics", [])), ckpt.get("optimizer")
        else:
            model = self.model or create_model(cfg.arch or defaults.MODEL, channels=source.channels)
        _check_size(model, source, cfg)
        model.to(device=device, memory_format=torch.channels_last)  # faster convolutions on CPUs and GPUs alike
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        if opt_state is not None:
            opt.load_state_dict(opt_state)
            for group in opt.param_groups:
                group["lr"] = lr
        net = model
        if world.size > 1:
            net = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
        if cfg.compile:
            net = torch.compile(net)

        per_rank = batch // world.size
        source.start(device, per_rank, cfg.workers)
        n = len(source)
        steps = math.ceil(len(epoch_order(n, batch, cfg.seed, 0, world)) / per_rank)
        info = {"model": model.arch, "data": source.name, "samples": n, "batch_size": batch, "lr": lr,
                "device": str(device), "processes": world.size, "noise": str(cfg.noise) if cfg.noise else None,
                "objective": "neighbor2neighbor" if cfg.single else "noise2noise"}
        if world.main:
            self.cb.on_start(cfg.epochs, start_epoch, steps, info)
        config = {**asdict(cfg), "batch_size": batch, "lr": lr}
        if init_from is not None:  # which file, not only which name: a bundled name's weights change between versions
            config["init_sha256"] = hashlib.sha256(Path(init_from).read_bytes()).hexdigest()
        last: dict = {}
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.perf_counter()
            loss_sum, seen = self._epoch(net, opt, source, epoch, batch, world, device, lr, steps)
            seconds = time.perf_counter() - t0
            loss = loss_sum / max(seen, 1)
            if rt.any_rank(not math.isfinite(loss), world, device):
                raise Diverged(self._diverged(epoch))
            if not all(torch.isfinite(p).all() for p in model.parameters()):  # the last step can break them alone
                raise Diverged(self._diverged(epoch, "the weights"))
            last = {"epoch": epoch + 1, "loss": loss, "seconds": round(seconds, 3),
                    "images_per_s": round(seen * world.size / seconds, 1)}
            if world.main:
                if valset is not None:
                    last.update(validation_metrics(Denoiser(unwrap(net), device), valset))
                history.append(last)
                if cfg.out:
                    atomic_save(make_checkpoint(model, epoch=epoch + 1, metrics=history,
                                                optimizer=opt.state_dict(), config=config), cfg.out)
                    _write_metrics(metrics_path(cfg.out), history)
                    self.kept = epoch + 1
                self.cb.on_epoch(last)
            rt.barrier(world)
        return TrainResult(cfg.out, cfg.epochs, last, world.rank, info)

    def _diverged(self, epoch: int, what: str = "the loss") -> str:
        kept = f"{self.cfg.out} still holds epoch {self.kept}" if self.kept is not None else "no checkpoint was written"
        return (f"training diverged: {what} became NaN or infinite in epoch {epoch + 1} ({kept}); "
                "check the data for NaN values, or lower --lr")

    def _epoch(self, net, opt, source: TrainSource, epoch: int, batch: int, world: rt.World, device: torch.device,
               lr: float, steps: int) -> tuple[float, int]:
        cfg = self.cfg
        seed = _rng_seed(cfg.seed, epoch, world.rank + 1)
        g = torch.Generator(device=device).manual_seed(seed)  # augmentation, distinct per process
        order = epoch_order(len(source), batch, cfg.seed, epoch, world)
        net.train()
        loss_sum, seen = torch.zeros((), device=device), 0

        def forward(x: torch.Tensor) -> torch.Tensor:
            with rt.autocast(device, cfg.cpu_bf16):
                return net(x.contiguous(memory_format=torch.channels_last)).float()

        for step, batch in enumerate(source.epoch(order, seed)):  # crops keyed by (index, seed)
            batch = [t.to(device, non_blocking=True) for t in batch]
            if cfg.augment:
                batch = dihedral(batch, g)
            done = epoch * steps + step
            loss = self.objective(forward, batch, g, (done + 1) / (cfg.epochs * steps))
            for group in opt.param_groups:
                group["lr"] = lr_at(done, cfg.epochs * steps, lr, cfg.schedule)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            k = batch[0].shape[0]
            loss_sum += loss.detach() * k
            seen += k
            report = step % 20 == 0
            mean = (loss_sum / seen).item() if report else None
            if report and rt.any_rank(not math.isfinite(mean), world, device):
                raise Diverged(self._diverged(epoch))
            if world.main:
                self.cb.on_step(epoch, step, k * world.size, mean)
        return loss_sum.item(), seen


def _check_size(model: torch.nn.Module, source: TrainSource, cfg: TrainConfig) -> None:
    """Refuse training images (or crops, or --single's half-size sub-images) smaller than the model takes."""
    need = getattr(model, "min_size", 1)
    h, w = source.size
    sh, sw = (h // 2, w // 2) if cfg.single else (h, w)
    if min(sh, sw) >= need:
        return
    what, larger = f"{w}x{h} images are", ""
    if cfg.single:  # folders: the crop size is what the user chose; tensor files: the images' own size
        crops = isinstance(source, PatchSource)
        what = (f"--patch-size {h} gives" if crops else f"{w}x{h} images give") + f" {sw}x{sh} --single sub-images,"
        larger = (f"--patch-size {2 * need}" if crops else f"images of {2 * need}x{2 * need}") + " or more; "
    arch = getattr(model, "arch", type(model).__name__)
    raise UserError(f"{source.name}: {what} too small for the {arch!r} model, which needs {need}x{need} or more "
                    f"({larger}the 'fast' and 'unet' models take any size)")


def _write_metrics(path: Path, history: list[dict]) -> None:
    atomic_write(path, lambda f: f.write("".join(json.dumps(m) + "\n" for m in history).encode()))
