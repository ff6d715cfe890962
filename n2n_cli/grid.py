"""A side-by-side picture of a few evaluation examples: noisy | denoised | clean, one example per row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .data import EvalSet, to_unit
from .imageio import from_float, write_png


def save_grid(path: str | Path, denoiser, evalset: EvalSet, count: int = 4, side: int = 192) -> None:
    """Rows of (noisy, denoised, clean): centre crops of `side` pixels, small images scaled up (nearest)."""
    rows = []
    if evalset.tensors is not None:
        noisy, clean = (to_unit(t[:count]) for t in evalset.tensors)
        examples = list(zip(noisy, denoiser.predict(noisy), clean))
    else:
        examples = []
        for _, n, c, _ in evalset.images():
            examples.append((n[0], denoiser.predict(n)[0], c[0]))
            if len(examples) == count:
                break
    for triple in examples:
        tiles = []
        for t in triple:
            h, w = t.shape[-2:]
            if max(h, w) < side:
                t = torch.nn.functional.interpolate(t[None], scale_factor=side // max(h, w), mode="nearest")[0]
                h, w = t.shape[-2:]
            y, x = max(0, (h - side) // 2), max(0, (w - side) // 2)
            crop = t[:, y:y + side, x:x + side].permute(1, 2, 0).numpy()
            tiles.append(np.pad(crop, ((0, side - crop.shape[0]), (0, side - crop.shape[1] + 4), (0, 0))))
        rows.append(np.concatenate(tiles, axis=1))
    grid = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0))) for r in rows])
    write_png(path, from_float(grid, np.uint8))
