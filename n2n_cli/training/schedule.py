"""What each step of a run sees, derived from (seed, epoch, rank) alone, so a resumed run draws the same as an
uninterrupted one: the order of the samples, the learning rate, and the flips and rotations."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .distributed import World


def rng_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch) * 1_009 + rank


def epoch_order(n: int, batch: int, seed: int, epoch: int, world: World) -> torch.Tensor:
    """This process's sample indices for one epoch. All processes shuffle alike; each global batch is split into
    equal shards, one per process, so DDP sees the same batches as one process with the same global batch."""
    g = torch.Generator().manual_seed(rng_seed(seed, epoch, 0))
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
    (each N x C x H x W). What is not an image (per-crop loss weights, N x 1) passes unchanged."""
    extra = [t for t in images if t.dim() != 4]
    images = [t for t in images if t.dim() == 4]
    n = images[0].shape[0]
    r = torch.rand(n, 3, generator=g, device=images[0].device) < 0.5
    x = torch.stack(list(images))  # K x N x C x H x W
    x = torch.where(r[:, 0].view(1, n, 1, 1, 1), x.flip(-1), x)
    x = torch.where(r[:, 1].view(1, n, 1, 1, 1), x.flip(-2), x)
    if x.shape[-1] == x.shape[-2]:
        x = torch.where(r[:, 2].view(1, n, 1, 1, 1), x.transpose(-1, -2), x)
    return [*x, *extra]
