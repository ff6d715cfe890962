"""How long a run will take, said before its first step: one training step (forward and backward, no update) timed
on random data of the run's batch shape (the median of three passes after an untimed one), on the model itself,
its weights and every generator the run draws from left as they were. It counts the network's time only: loading
data and validation come on top."""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from ..data import TrainSource
from ..device import autocast
from ..models import Net
from .config import TrainConfig

TIMED = 3  # passes timed after the first; their median is the estimate (one pass is noisy on a shared machine)


def time_step(model: Net, source: TrainSource, batch: int, device: torch.device, cfg: TrainConfig) -> float:
    """Seconds one step of `batch` images of the source's size takes on `device` (a pass of |f(x) - x|^2: for
    Neighbor2Neighbor's half-size passes, about the same work)."""
    h, w = source.size
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, source.channels, h, w, generator=g).to(device).contiguous(memory_format=torch.channels_last)
    was = model.training
    model.train()
    times = []
    for _ in range(1 + TIMED):  # the first pass pays for one-time set-up (allocations, kernels): not counted
        t0 = time.perf_counter()
        with autocast(device, cfg.cpu_bf16):
            y = model(x).float()
        F.mse_loss(y, x).backward()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
        model.zero_grad(set_to_none=True)
    model.train(was)
    return statistics.median(times[1:])
