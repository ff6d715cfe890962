"""Scoring a denoiser on an evaluation set, and a picture of some of its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .imageio import from_float, write_png
from .infer import Denoiser
from .metrics import psnr, quantize_to
from .sources import EvalSet


@dataclass
class EvalResult:
    psnr: float  # mean per-image PSNR of the output, rounded as its file stores it (dB)
    psnr_noisy: float  # the same for the noisy input
    count: int
    images: list[tuple[str, float, float]] = field(default_factory=list)  # (name, noisy PSNR, output PSNR)

    @property
    def gain(self) -> float:
        return self.psnr - self.psnr_noisy


def evaluate(denoiser: Denoiser, evalset: EvalSet) -> EvalResult:
    """Mean per-image PSNR (dB) of the denoised output (rounded to the data's bit depth) and of the noisy input."""
    rows = []
    for b in evalset.batches():
        out = quantize_to(denoiser.predict(b.noisy), b.bits)
        rows += list(zip(b.names, psnr(b.noisy, b.clean).tolist(), psnr(out, b.clean).tolist()))
    count = len(rows)
    return EvalResult(sum(r[2] for r in rows) / count, sum(r[1] for r in rows) / count, count, rows)


def save_grid(path: str | Path, denoiser: Denoiser, evalset: EvalSet, count: int = 4, side: int = 192) -> None:
    """Rows of (noisy, denoised, clean): centre crops of `side` pixels, small images scaled up (nearest)."""
    examples = []
    for b in evalset.batches():
        n = b.noisy[:count - len(examples)]
        examples += list(zip(n, denoiser.predict(n), b.clean[:len(n)]))
        if len(examples) == count:
            break
    rows = []
    for triple in examples:
        tiles = []
        for t in triple:
            if t.shape[0] == 1:
                t = t.expand(3, -1, -1)
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
