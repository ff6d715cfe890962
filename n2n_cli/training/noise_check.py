"""Before a `--single` run on image files: is their noise of a kind Neighbor2Neighbor can learn to remove?

Neighbor2Neighbor takes two neighbouring pixels of one image as input and target; it learns to remove the part of
the noise they do not share. A camera's processed photos (demosaicing, in-camera noise reduction, JPEG) carry noise
correlated between neighbours (0.4-0.8 where polyu_dev's photos are flat), which the model then learns to keep: it
is told before the run (docs/training.md). The estimate is noise/estimate.py's, on up to
defaults.SINGLE_CHECK_IMAGES images spread over the data, as `n2n denoise --explain` reports it."""

from __future__ import annotations

import numpy as np

from .. import defaults
from ..data import TrainSource
from ..data.patches import ImageCache, PatchPairs, PatchSource
from ..flags import flag
from ..noise.estimate import estimate_noise


def noise_correlation(patches: PatchPairs) -> tuple[float, int] | None:
    """The median neighbour correlation of the noise found in a sample of the images, and how many gave one."""
    groups = patches.groups
    picks = np.linspace(0, len(groups) - 1, min(len(groups), defaults.SINGLE_CHECK_IMAGES)).round().astype(int)
    cache = ImageCache(patches.channels, patches.max_pixels, budget_mb=0, normalization=patches.normalization)
    found = []
    for i in dict.fromkeys(picks.tolist()):
        image = cache.get(groups[i][0])
        rng = cache.rule.range_of([image])  # as cache.range finds it, without decoding the image again
        est = estimate_noise(image, rng.lo, rng.span)
        if est.blocks:
            found.append(est.correlation)
    return (float(np.median(found)), len(found)) if found else None


def correlated_note(data: str, source: TrainSource) -> str | None:
    """What to tell the user before a --single run on `data`, or None when its noise is not correlated or it is not
    image files (a tensor file)."""
    measured = noise_correlation(source.patches) if isinstance(source, PatchSource) else None
    if measured is None or measured[0] < defaults.SINGLE_CORRELATION:
        return None
    rho, n = measured
    return (
        f"{data}: the noise found is correlated between neighbouring pixels ({rho:.2f}, median of {n} images), as in "
        f"a camera's processed photos; {flag('single')} learns to keep such noise. Pairs (two shots of each scene) "
        "or the bundled models take it away: docs/training.md"
    )
