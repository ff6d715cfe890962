"""The trainer: Noise2Noise on pairs from any data source, on one device or under torchrun (DDP).

Every epoch ends with an atomic checkpoint and a metrics file next to it, so an interruption loses at most one
epoch and `resume` continues where it stopped. Randomness is derived from (seed, epoch, rank), so a resumed run
draws the same crops, noise and order as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from . import defaults
from . import distributed as dd
from .data import EpochKeys, Source, open_eval_set, open_train_source
from .errors import UserError
from .infer import Denoiser, autocast, pick_device
from .metrics import evaluate
from .models import create_model
from .noise import parse_noise
from .synthetic import PairRecipe
from .atomic import atomic_write
from .weights import atomic_save, build_model, load_checkpoint, make_checkpoint, unwrap


@dataclass
class TrainConfig:
    data: str
    target: Optional[str] = None  # second folder of noisy images, matched by name
    noise: Optional[str] = None  # synthesise pairs from clean images, e.g. "gaussian:5-50"
    clean_share: float = defaults.CLEAN_SHARE  # with `noise`: share of inputs left clean (targets stay noisy)
    gray_share: float = defaults.GRAY_SHARE  # with `noise`: share of colour crops made gray
    jpeg_share: float = defaults.JPEG_SHARE  # with `noise`: share of noisy inputs saved as JPEG
    model: str = defaults.MODEL
    epochs: int = defaults.EPOCHS
    batch_size: Optional[int] = None  # None: defaults.BATCH_SIZE on the CPU, defaults.BATCH_SIZE_CUDA on a GPU
    lr: Optional[float] = None  # None: defaults.LR scaled by sqrt(batch / defaults.LR_BATCH)
    schedule: str = defaults.SCHEDULE  # "cosine": lr decays to 0 over the run; "constant": the report's way
    patch_size: int = defaults.PATCH_SIZE
    augment: bool = defaults.AUGMENT
    val: Optional[str] = None
    val_clean: Optional[str] = None
    val_noise: Optional[str] = None
    out: Optional[str] = defaults.CHECKPOINT  # None: keep the model in memory only (the course API)
    device: str = "auto"
    seed: int = defaults.SEED
    workers: int = defaults.WORKERS
    resume: Optional[str] = None
    compile: bool = False
    mmap: bool = True  # memory-map tensor files instead of reading them whole


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


def epoch_order(n: int, batch: int, seed: int, epoch: int, world: dd.World) -> torch.Tensor:
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


def dihedral(a: torch.Tensor, b: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random flip / 90-degree rotation for both images of each pair (N x C x H x W)."""
    n = a.shape[0]
    r = torch.rand(n, 3, generator=g, device=a.device) < 0.5
    x = torch.stack([a, b])  # 2 x N x C x H x W
    x = torch.where(r[:, 0].view(1, n, 1, 1, 1), x.flip(-1), x)
    x = torch.where(r[:, 1].view(1, n, 1, 1, 1), x.flip(-2), x)
    if x.shape[-1] == x.shape[-2]:
        x = torch.where(r[:, 2].view(1, n, 1, 1, 1), x.transpose(-1, -2), x)
    return x[0], x[1]


class Trainer:
    def __init__(self, cfg: TrainConfig, callback: Callback | None = None, source: Source | None = None,
                 model: torch.nn.Module | None = None):
        """`source` and `model`, when given, replace what cfg.data and cfg.model describe (the course API)."""
        self.cfg, self.cb = cfg, callback or Callback()
        self.source, self.model = source, model

    def fit(self) -> dict:
        cfg = self.cfg
        world = dd.setup(cfg.device)
        try:
            return self._fit(cfg, world)
        finally:
            dd.cleanup(world)

    def _fit(self, cfg: TrainConfig, world: dd.World) -> dict:
        device = dd.device_for(world, pick_device(cfg.device))
        noise = parse_noise(cfg.noise) if cfg.noise else None
        recipe = PairRecipe(noise, cfg.clean_share, cfg.gray_share, cfg.jpeg_share) if noise else None
        source = self.source or open_train_source(cfg.data, cfg.target, recipe, cfg.patch_size, cfg.mmap)
        batch = cfg.batch_size or (defaults.BATCH_SIZE_CUDA if device.type == "cuda" else defaults.BATCH_SIZE)
        if batch % world.size:
            raise UserError(f"--batch-size {batch} must be divisible by the number of processes ({world.size})")
        lr = cfg.lr or defaults.LR * math.sqrt(batch / defaults.LR_BATCH)
        valset = None
        if cfg.val and world.main:
            valset = open_eval_set(cfg.val, cfg.val_clean, parse_noise(cfg.val_noise) if cfg.val_noise else None)
            if valset.channels != source.channels:
                raise UserError(f"{cfg.val}: {valset.channels}-channel images, but the training data has {source.channels}")

        torch.manual_seed(cfg.seed)
        start_epoch, history, opt_state = 0, [], None
        if cfg.resume:
            ckpt = load_checkpoint(cfg.resume)
            model = build_model(ckpt, cfg.resume)
            if ckpt["model_kwargs"].get("channels") != source.channels:
                raise UserError(f"{cfg.resume}: a {ckpt['model_kwargs'].get('channels')}-channel model cannot train "
                                f"on {source.channels}-channel data")
            start_epoch, history, opt_state = ckpt.get("epoch", 0), list(ckpt.get("metrics", [])), ckpt.get("optimizer")
            name = ckpt["model"]
        else:
            name = cfg.model
            model = self.model or create_model(name, channels=source.channels)
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

        loader = None
        if source.tensors is not None:
            source.tensors.to(device)
        else:
            keys = EpochKeys()
            loader = DataLoader(source.patches, batch_size=batch // world.size, sampler=keys, num_workers=cfg.workers,
                                pin_memory=device.type == "cuda", persistent_workers=cfg.workers > 0)
        per_rank = batch // world.size
        n = len(source)
        steps = math.ceil(len(epoch_order(n, batch, cfg.seed, 0, world)) / per_rank)
        info = {"model": name, "data": source.name, "samples": n, "batch_size": batch, "lr": lr,
                "device": str(device), "processes": world.size, "noise": str(noise) if noise else None}
        if world.main:
            self.cb.on_start(cfg.epochs, start_epoch, steps, info)
        config = {**asdict(self.cfg), "batch_size": batch, "lr": lr}
        last = {}
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.perf_counter()
            loss_sum, seen = self._epoch(net, opt, source, loader, epoch, batch, world, device, lr, steps)
            seconds = time.perf_counter() - t0
            last = {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1), "seconds": round(seconds, 3),
                    "images_per_s": round(seen * world.size / seconds, 1)}
            if world.main:
                if valset is not None:
                    v = evaluate(Denoiser(unwrap(net), device), valset)
                    last.update(val_psnr=round(v["psnr"], 4), val_psnr_noisy=round(v["psnr_noisy"], 4))
                history.append(last)
                if cfg.out:
                    atomic_save(make_checkpoint(model, epoch=epoch + 1, metrics=history,
                                                optimizer=opt.state_dict(), config=config), cfg.out)
                    _write_metrics(metrics_path(cfg.out), history)
                self.cb.on_epoch(last)
            dd.barrier(world)
        return {"checkpoint": cfg.out, "epochs": cfg.epochs, "metrics": last, "rank": world.rank, **info}

    def _epoch(self, net, opt, source: Source, loader: DataLoader | None, epoch: int, batch: int, world: dd.World,
               device: torch.device, lr: float, steps: int):
        cfg = self.cfg
        seed = _rng_seed(cfg.seed, epoch, world.rank + 1)
        g = torch.Generator(device=device).manual_seed(seed)  # noise and augmentation, distinct per process
        order = epoch_order(len(source), batch, cfg.seed, epoch, world)
        if loader is None:
            batches = source.tensors.batches(order, batch // world.size, device)
        else:
            loader.sampler.set_epoch(order, seed)  # crops keyed by (index, seed): same for any worker count
            batches = loader
        net.train()
        loss_sum, seen = torch.zeros((), device=device), 0
        for step, (a, b) in enumerate(batches):
            a, b = a.to(device, non_blocking=True), b.to(device, non_blocking=True)
            if cfg.augment:
                a, b = dihedral(a, b, g)
            a = a.contiguous(memory_format=torch.channels_last)
            with autocast(device):
                out = net(a)
            loss = F.mse_loss(out.float(), b)
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch * steps + step, cfg.epochs * steps, lr, cfg.schedule)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            k = a.shape[0]
            loss_sum += loss.detach() * k
            seen += k
            if world.main:
                self.cb.on_step(epoch, step, k * world.size, (loss_sum / seen).item() if step % 20 == 0 else None)
        return loss_sum.item(), seen


def _write_metrics(path: Path, history: list[dict]) -> None:
    atomic_write(path, lambda f: f.write("".join(json.dumps(m) + "\n" for m in history).encode()))
