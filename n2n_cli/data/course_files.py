"""Course-format tensor-pair files cut from clean images (`n2n synth`)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import torch

from .. import defaults
from ..errors import DataError
from ..flags import flag
from ..io import list_images, probe
from ..memory import Plan, available_memory, room
from ..noise import AnyNoise
from .folders import image_channels, require_dir
from .patches import ImageCache, crop


def make_course_pairs(folder: str | Path, count: int, size: int, noise: AnyNoise, seed: int, kind: str = "train",
                      max_pixels: int = defaults.MAX_PIXELS) -> tuple[torch.Tensor, torch.Tensor]:
    """Random size x size crops of the images in `folder` as uint8 N x C x size x size tensors:
    kind "train" gives (noisy_1, noisy_2), two independent noisy copies; kind "val" gives (noisy, clean)."""
    if kind not in ("train", "val"):
        raise ValueError(f"kind must be 'train' or 'val', not {kind!r}")
    folder = Path(folder)
    require_dir(folder, "clean images")
    images = list_images(folder)
    if not images:
        raise DataError(f"{folder}: no images found")
    channels = image_channels(probe(images[0], max_pixels))
    _check_memory(count, size, channels)
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    cache = ImageCache(channels, max_pixels)
    crops = []
    for _ in range(count):
        ref = (images[rng.randrange(len(images))], 0)
        img = cache.get(ref)
        y, x = rng.randint(0, max(img.shape[0] - size, 0)), rng.randint(0, max(img.shape[1] - size, 0))
        crops.append(crop(img, y, x, size, cache.range(ref)))  # 16-bit images by their range (io/normalize.py)
    clean = torch.stack(crops)  # N x C x size x size in [0, 1]
    first = noise(clean, g)
    second = noise(clean, g) if kind == "train" else clean
    return _as_u8(first), _as_u8(second)


def _check_memory(count: int, size: int, channels: int) -> None:
    """Refuse, before any crop is cut, a file that cannot be made in the memory available, with the size and count
    that would fit."""
    free = room(available_memory())
    per = channels * defaults.SYNTH_BYTES  # bytes per pixel of one crop, at the peak
    plan = Plan(f"n2n synth ({count} crop(s) of {size}x{size}, {channels} channel(s))", "", {"crops": count * size**2 * per})
    if free is None or plan.total <= free:
        return
    side, fits = math.isqrt(free // (count * per)), free // (size**2 * per)
    options = [f"{flag('synth_size')} to {side} or less"] if side >= 8 else []
    options += [f"{flag('synth_count')} to {fits} or less"] if fits >= 1 else []
    plan.lower = ", or ".join(options) or f"{flag('synth_size')} and {flag('synth_count')}"
    plan.check(free)


def _as_u8(t: torch.Tensor) -> torch.Tensor:
    return torch.round(t * 255).to(torch.uint8)
