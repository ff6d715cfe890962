"""A picture of some results: rows of (noisy, denoised, clean)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data import EvalSet
from ..inference import Denoiser
from ..io import from_float, write_png
from ..io.atomic import Rule
from ..io.normalize import UNIT, Range


def save_grid(
    path: str | Path,
    denoiser: Denoiser,
    evalset: EvalSet,
    rule: Rule | None = None,
    count: int = 4,
    side: int = 192,
) -> None:
    """Rows of (noisy, denoised, clean): centre crops of `side` pixels, small images scaled up (nearest), each row
    shown in its noisy image's range (io/normalize.py), so 12-bit data in 16-bit files is not shown dark. A file at
    `path` is replaced as `rule` allows."""
    examples: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, Range]] = []
    for b in evalset.batches():
        n = b.noisy[: count - len(examples)]
        ranges = b.ranges[: len(n)] if b.ranges else [UNIT] * len(n)
        examples += list(zip(n, denoiser.predict(n, ranges), b.clean[: len(n)], ranges))
        if len(examples) == count:
            break
    rows = []
    for noisy, out, clean, rng in examples:
        tiles = []
        for t in (noisy, out, clean):
            t = ((t - rng.lo) / rng.span).clamp(0, 1)
            if t.shape[0] == 1:
                t = t.expand(3, -1, -1)
            h, w = t.shape[-2:]
            if max(h, w) < side:
                t = torch.nn.functional.interpolate(t[None], scale_factor=side // max(h, w), mode="nearest")[0]
                h, w = t.shape[-2:]
            y, x = max(0, (h - side) // 2), max(0, (w - side) // 2)
            crop = t[:, y : y + side, x : x + side].permute(1, 2, 0).numpy()
            tiles.append(np.pad(crop, ((0, side - crop.shape[0]), (0, side - crop.shape[1] + 4), (0, 0))))
        rows.append(np.concatenate(tiles, axis=1))
    grid = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0))) for r in rows])
    write_png(path, from_float(grid, np.uint8), rule=rule)
