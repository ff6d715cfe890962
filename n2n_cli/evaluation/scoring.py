"""Scoring a denoiser against clean references (`evaluate`), and the validation metrics recorded during training."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..data import EvalSet, PairSet
from ..inference import Denoiser
from .metrics import psnr, quantize_to
from .pairs import estimate_pairs


@dataclass
class EvalResult:
    psnr: float  # mean per-image PSNR of the output, rounded as its file stores it (dB)
    psnr_noisy: float  # the same for the noisy input
    count: int
    images: list[tuple[str, float, float]] = field(default_factory=list)  # (name, noisy PSNR, output PSNR)

    @property
    def gain(self) -> float:
        """Output PSNR less input PSNR; 0 when both are infinite (the input was clean, and so is the output)."""
        return 0.0 if self.psnr == self.psnr_noisy else self.psnr - self.psnr_noisy


Images = Callable[[int, int], None]  # progress: (images scored, images in all)


def evaluate(denoiser: Denoiser, evalset: EvalSet, on_images: Images | None = None) -> EvalResult:
    """Mean per-image PSNR (dB) of the denoised output (rounded to the data's bit depth) and of the noisy input;
    `on_images(done, total)` after each batch."""
    rows: list[tuple[str, float, float]] = []
    for b in evalset.batches():
        out = quantize_to(denoiser.predict(b.noisy, b.ranges), b.bits)
        rows += list(zip(b.names, psnr(b.noisy, b.clean).tolist(), psnr(out, b.clean).tolist()))
        if on_images is not None:
            on_images(len(rows), len(evalset))
    count = len(rows)
    return EvalResult(sum(r[2] for r in rows) / count, sum(r[1] for r in rows) / count, count, rows)


def validation_metrics(denoiser: Denoiser, valset: EvalSet | PairSet) -> dict:
    """The metrics file's validation columns: PSNR against clean references, or its estimate from noisy pairs."""
    if isinstance(valset, PairSet):  # checked before training (estimate_pairs without a model); an output error
        r = estimate_pairs(denoiser, valset, refuse_unresolved=False)  # too small to resolve is recorded as null
        return {
            "val_psnr_estimate": None if r.psnr is None else round(r.psnr, 4),
            "val_psnr_noisy_estimate": round(r.input_psnr, 4),
            "val_sigma_estimate": round(r.sigma, 4),
        }
    v = evaluate(denoiser, valset)
    return {"val_psnr": round(v.psnr, 4), "val_psnr_noisy": round(v.psnr_noisy, 4)}
