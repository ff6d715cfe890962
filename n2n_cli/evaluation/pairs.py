"""Quality without clean images: the PSNR of a denoiser's output and of its noisy input estimated from noisy pairs
(the formulas are in metrics.py), with the refusals that keep the estimate honest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import defaults
from ..data import PairSet
from ..errors import DataError
from ..inference import Denoiser
from .metrics import PairEstimate, estimate_from_pairs, pair_difference, quantize_to, share_limit, structure_share

ASSUMES = (
    "an estimate from noisy pairs, without clean images: it assumes the two captures of each pair show one "
    "scene, with independent zero-mean noise of equal level"
)


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


def estimate_pairs(
    denoiser: Denoiser | None,
    pairs: PairSet,
    block: int = defaults.PAIR_BLOCK,
    tolerance_db: float = defaults.PAIR_TOLERANCE_DB,
    refuse_unresolved: bool = True,
    on_images: Callable[[int, int], None] | None = None,
) -> PairResult:
    """PSNR of the noisy input and (with a denoiser) of its output against the unknown clean image, and the noise
    sigma, estimated from noisy pairs; see metrics.py. Errors are pooled over all samples (the PSNR of the mean
    squared error, where `evaluate` averages per-image PSNRs), so small images add up to a sound estimate.

    A pair is refused (DataError naming it) when its two captures are identical, or when so much of their difference
    is structure rather than noise (structure_share) that the input estimate would be off by over `tolerance_db`:
    not two captures of one scene, or moved. With a denoiser, an output error estimated at zero or below is refused
    (`refuse_unresolved`; else its PSNR is None): the pairs' noise is then not independent or not of equal level,
    or there are too few samples to resolve so small an error. `on_images(done, total)`: progress, after each
    batch."""
    limit = share_limit(tolerance_db)
    rows, diff_sum, out_sum, samples, worst = [], 0.0, 0.0, 0, 0.0
    for b in pairs.batches():
        diff = pair_difference(b.first, b.second)
        share = structure_share(b.first, b.second, block)
        per_image = b.first[0].numel()
        out = None
        if denoiser is not None:
            out = pair_difference(quantize_to(denoiser.predict(b.first, b.ranges), b.bits), b.second)
        for k, name in enumerate(b.names):
            if diff[k] == 0:
                raise DataError(
                    f"{name}: the two captures are identical, so no noise can be measured between them; "
                    "a pair needs two independent captures"
                )
            if share[k] > limit:
                raise DataError(
                    f"{name}: the two captures differ far more than noise allows ({share[k]:.0%} of their "
                    f"difference is image structure, at most {limit:.0%} is accepted): not two captures "
                    "of one scene, or moved between them"
                )
            e = estimate_from_pairs(diff[k].item(), None if out is None else out[k].item())
            rows.append((name, e.input_psnr, e.psnr, share[k].item()))
        diff_sum += diff.sum().item() * per_image
        out_sum += out.sum().item() * per_image if out is not None else 0.0
        samples += per_image * len(b.names)
        worst = max(worst, share.max().item())
        if on_images is not None:
            on_images(len(rows), len(pairs))
    if not rows:
        raise DataError(f"{pairs.name}: no pairs found (a scene needs two captures)")
    est = estimate_from_pairs(diff_sum / samples, out_sum / samples if denoiser is not None else None)
    if refuse_unresolved and est.output_mse is not None and est.output_mse <= 0:
        raise DataError(
            f"{pairs.name}: the output is closer to the second captures than their noise allows (its "
            f"estimated error is {est.output_mse:.2e}, not above 0): the estimate needs the two captures' "
            "noise to be independent and of equal level, and more pixels to resolve so small an error"
        )
    return PairResult(est, len(rows), worst, rows)
