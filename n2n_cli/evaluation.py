"""Scoring a denoiser: against clean references (`evaluate`), or estimated from noisy pairs alone (`estimate_pairs`);
the metrics of a validation set during training; and a picture of some results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import defaults
from .imageio import from_float, write_png
from .infer import Denoiser
from .metrics import (PairEstimate, estimate_from_pairs, pair_difference, psnr, quantize_to, share_limit,
                      structure_share)
from .sources import EvalSet, PairSet
from .tensorfile import DataError

ASSUMES = ("an estimate from noisy pairs, without clean images: it assumes the two captures of each pair show one "
           "scene, with independent zero-mean noise of equal level")


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


@dataclass
class PairResult:
    estimate: PairEstimate  # pooled over every sample of every pair
    count: int
    structure: float  # the largest structure share of a pair's difference (the refusal criterion)
    images: list[tuple[str, float, float | None, float]] = field(default_factory=list)
    # per pair: (name, estimated input PSNR, estimated output PSNR or None, structure share)

    @property
    def psnr(self) -> float | None:
        return self.estimate.psnr

    @property
    def input_psnr(self) -> float:
        return self.estimate.input_psnr

    @property
    def sigma(self) -> float:
        return self.estimate.sigma


def estimate_pairs(denoiser: Denoiser | None, pairs: PairSet, block: int = defaults.PAIR_BLOCK,
                   tolerance_db: float = defaults.PAIR_TOLERANCE_DB, refuse_unresolved: bool = True) -> PairResult:
    """PSNR of the noisy input and (with a denoiser) of its output against the unknown clean image, and the noise
    sigma, estimated from noisy pairs; see metrics.py. Errors are pooled over all samples (the PSNR of the mean
    squared error, where `evaluate` averages per-image PSNRs), so small images add up to a sound estimate.

    A pair is refused (DataError naming it) when its two captures are identical, or when so much of their difference
    is structure rather than noise (structure_share) that the input estimate would be off by over `tolerance_db`:
    not two captures of one scene, or moved. With a denoiser, an output error estimated at zero or below is refused
    (`refuse_unresolved`; else its PSNR is None): the pairs' noise is then not independent or not of equal level,
    or there are too few samples to resolve so small an error."""
    limit = share_limit(tolerance_db)
    rows, diff_sum, out_sum, samples, worst = [], 0.0, 0.0, 0, 0.0
    for b in pairs.batches():
        diff = pair_difference(b.first, b.second)
        share = structure_share(b.first, b.second, block)
        per_image = b.first[0].numel()
        out = None
        if denoiser is not None:
            out = pair_difference(quantize_to(denoiser.predict(b.first), b.bits), b.second)
        for k, name in enumerate(b.names):
            if diff[k] == 0:
                raise DataError(f"{name}: the two captures are identical, so no noise can be measured between them; "
                                "a pair needs two independent captures")
            if share[k] > limit:
                raise DataError(f"{name}: the two captures differ far more than noise allows ({share[k]:.0%} of their "
                                f"difference is image structure, at most {limit:.0%} is accepted): not two captures "
                                "of one scene, or moved between them")
            e = estimate_from_pairs(diff[k].item(), None if out is None else out[k].item())
            rows.append((name, e.input_psnr, e.psnr, share[k].item()))
        diff_sum += diff.sum().item() * per_image
        out_sum += out.sum().item() * per_image if out is not None else 0.0
        samples += per_image * len(b.names)
        worst = max(worst, share.max().item())
    if not rows:
        raise DataError(f"{pairs.name}: no pairs found (a scene needs two captures)")
    est = estimate_from_pairs(diff_sum / samples, out_sum / samples if denoiser is not None else None)
    if refuse_unresolved and est.output_mse is not None and est.output_mse <= 0:
        raise DataError(f"{pairs.name}: the output is closer to the second captures than their noise allows (its "
                        f"estimated error is {est.output_mse:.2e}, not above 0): the estimate needs the two captures' "
                        "noise to be independent and of equal level, and more pixels to resolve so small an error")
    return PairResult(est, len(rows), worst, rows)


def validation_metrics(denoiser: Denoiser, valset: EvalSet | PairSet) -> dict:
    """The metrics file's validation columns: PSNR against clean references, or its estimate from noisy pairs."""
    if isinstance(valset, PairSet):  # checked before training (estimate_pairs without a model); an output error
        r = estimate_pairs(denoiser, valset, refuse_unresolved=False)  # too small to resolve is recorded as null
        return {"val_psnr_estimate": None if r.psnr is None else round(r.psnr, 4),
                "val_psnr_noisy_estimate": round(r.input_psnr, 4), "val_sigma_estimate": round(r.sigma, 4)}
    v = evaluate(denoiser, valset)
    return {"val_psnr": round(v.psnr, 4), "val_psnr_noisy": round(v.psnr_noisy, 4)}


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
