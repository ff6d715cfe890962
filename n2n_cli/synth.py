"""Course-format tensor-pair files cut from clean images (`n2n synth`)."""

from __future__ import annotations

import random
from pathlib import Path

import torch

from .imageio import list_images, probe
from .noise import Noise
from .patches import ImageCache, crop
from .sources import require_dir
from .tensorfile import DataError


def make_course_pairs(folder: str | Path, count: int, size: int, noise: Noise, seed: int,
                      kind: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Random size x size crops of the images in `folder` as uint8 N x C x size x size tensors:
    kind "train" gives (noisy_1, noisy_2), two independent noisy copies; kind "val" gives (noisy, clean)."""
    if kind not in ("train", "val"):
        raise ValueError(f"kind must be 'train' or 'val', not {kind!r}")
    folder = Path(folder)
    require_dir(folder, "clean images")
    images = list_images(folder)
    if not images:
        raise DataError(f"{folder}: no images found")
    channels = 3 if probe(images[0]).channels >= 3 else 1
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    cache = ImageCache(channels)
    crops = []
    for _ in range(count):
        img = cache.get((images[rng.randrange(len(images))], 0))
        y, x = rng.randint(0, max(img.shape[0] - size, 0)), rng.randint(0, max(img.shape[1] - size, 0))
        crops.append(crop(img, y, x, size))
    clean = torch.stack(crops)  # N x C x size x size in [0, 1]
    first = noise(clean, g)
    second = noise(clean, g) if kind == "train" else clean
    as_u8 = lambda t: torch.round(t * 255).to(torch.uint8)  # noqa: E731
    return as_u8(first), as_u8(second)
