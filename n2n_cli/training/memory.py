"""The memory plan of a training run, made before the first epoch: what the run will add at its peak, compared with
what is available, so that a batch or a crop size that cannot fit is refused in one line (naming the option to
lower and the value that fits) instead of being killed by the kernel, or squeezing the machine, mid-epoch; and
images too small for the model (`check_size`).

    activations = batch per process x padded pixels per sample x the model's train_bytes_per_pixel (measured)
    optimizer   = parameters x 4 bytes x 3 (gradients and Adam's two moments; the weights exist already)
    image cache = min(decoded size of the data, CACHE_MB) per loader process (image folders)
    loader      = processes x WORKER_MB + their queue of ready batches (image folders)

What is already in memory when the plan is made (the data read so far, the model's weights, the interpreter) is not
counted: the memory available is measured after it. On a GPU the model's part is compared with the GPU's free
memory (activations at BF16_ACTIVATIONS of float32 under bf16 autocast), the data's with the host's.
"""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from .. import defaults
from ..data import TrainSource
from ..data.patches import PatchSource
from ..data.tensor_pairs import TensorPairs
from ..errors import UserError
from ..flags import flag
from ..memory import Plan, available_memory, gib, gpu_free
from ..memory import room as fit
from ..models import Net, contract
from ..models.base import train_bytes_per_pixel

MIB = 2**20


def check_training_memory(
    model: Net, source: TrainSource, batch: int, processes: int, workers: int, device: torch.device
) -> None:
    """Refuse, in one line, a run whose peak cannot fit: `batch` is the global batch, split over `processes`."""
    per_rank = batch // processes
    host, gpu, per_sample = training_plan(model, source, per_rank, workers, device)
    for plan, room, where in ((gpu, fit(gpu_free(device)), "GPU memory"), (host, fit(available_memory()), "memory")):
        if plan is None or room is None or plan.total <= room:
            continue
        sample = per_sample[where]
        fixed = plan.total - per_rank * sample
        fits = (room - fixed) // sample * processes if sample and room > fixed else 0
        fits -= fits % processes
        h, w = source.size
        side = math.isqrt(max(room - fixed, 0) * h * w // max(per_rank * sample, 1)) // 8 * 8 if sample else 0
        plan.lower = _lower(fits, side, batch, model, source, sample, plan)
        plan.check(room, where)


def training_plan(
    model: Net, source: TrainSource, per_rank: int, workers: int, device: torch.device
) -> tuple[Plan, Plan | None, dict[str, int]]:
    """(host plan, GPU plan or None, bytes per sample of the batch on each), for one process of the run and the
    other processes of this machine (torchrun's LOCAL_WORLD_SIZE)."""
    h, w = source.size
    m = getattr(model, "multiple", 1)
    pixels = math.ceil(h / m) * m * math.ceil(w / m) * m
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    cuda = device.type == "cuda"
    sample = int(pixels * train_bytes_per_pixel(model) * (defaults.BF16_ACTIVATIONS if cuda else 1.0))
    net = {"activations": per_rank * sample, "optimizer": 3 * params}
    host: dict[str, int] = {} if cuda else dict(net)
    host_sample = 0 if cuda else sample
    if isinstance(source, PatchSource):
        tensors = 1 if getattr(source.patches, "single", False) else 2
        queued = defaults.LOADER_PREFETCH * tensors * source.channels * h * w * 4  # float32 crops, per sample
        host["image cache"] = min(source.patches.decoded_bytes, defaults.CACHE_MB * MIB) * max(workers, 1)
        host["loader"] = workers * (defaults.WORKER_MB * MIB + per_rank * queued)
        host_sample += workers * queued
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))  # processes sharing this machine's memory
    host = {k: v * local for k, v in host.items()}
    what = f"training ({_crops(per_rank * local)} of {w}x{h} for the {model.arch or 'given'} model)"
    host_plan = Plan(what, "", host)
    gpu_plan = None
    if cuda:
        gpu = dict(net)
        if isinstance(source, TensorPairs):  # the tensors move to the GPU when they take under a quarter of it
            data = sum(t.numel() * t.element_size() for t in source.tensors)
            if data < torch.cuda.get_device_properties(device).total_memory // 4:
                gpu["data"] = data
        gpu_plan = Plan(what.replace(_crops(per_rank * local), _crops(per_rank)), "", gpu)
    return host_plan, gpu_plan, {"memory": host_sample * local, "GPU memory": sample}


def _crops(n: int) -> str:
    return f"{n} crop" + ("s" if n != 1 else "")


def _lower(fits: int, side: int, batch: int, model: Net, source: TrainSource, sample: int, plan: Plan) -> str:
    """What to lower, with the value that fits: the batch, or for crops of image folders the crop size when even a
    few crops cannot fit (or the batch would have to shrink below a few)."""
    loaders = plan.parts.get("image cache", 0) + plan.parts.get("loader", 0)
    also = f"; or {flag('workers')}: each loader process caches images" if loaders > plan.total // 4 else ""
    crops = isinstance(source, PatchSource)
    if crops and side >= 8 and fits < min(batch, 4):
        return f"{flag('patch_size')} to {side} or less (or {flag('batch_size')}){also}"
    if fits >= 1:
        return f"{flag('batch_size')} to {fits} or less" + (f" (or {flag('patch_size')})" if crops else "") + also
    h, w = source.size
    if crops:
        return f"{flag('patch_size')}: one {w}x{h} crop alone takes {gib(sample)}{also}"
    return (
        f"the image size: one {w}x{h} image of {source.name} alone takes {gib(sample)} with the "
        f"{model.arch!r} model (try {flag('arch')} fast){also}"
    )


def check_size(model: nn.Module, source: TrainSource, single: bool) -> None:
    """Refuse training images (or crops, or --single's half-size sub-images) smaller than the model takes."""
    need = contract(model)[2]
    h, w = source.size
    sh, sw = (h // 2, w // 2) if single else (h, w)
    if min(sh, sw) >= need:
        return
    what, larger = f"{w}x{h} images are", ""
    if single:  # folders: the crop size is what the user chose; tensor files: the images' own size
        crops = isinstance(source, PatchSource)
        sub = f"{sw}x{sh} {flag('single')} sub-images,"
        what = (f"{flag('patch_size')} {h} gives " if crops else f"{w}x{h} images give ") + sub
        larger = (f"{flag('patch_size')} {2 * need}" if crops else f"images of {2 * need}x{2 * need}") + " or more; "
    arch = model.arch if isinstance(model, Net) and model.arch else type(model).__name__
    raise UserError(
        f"{source.name}: {what} too small for the {arch!r} model, which needs {need}x{need} or more "
        f"({larger}the 'fast' and 'unet' models take any size)"
    )
