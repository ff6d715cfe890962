"""Which way an image is denoised, chosen from its noise (noise/estimate.py).

`plain`: the network once over the image, tile by tile. What every image took before 0.8.0, and what most take now.

`shuffle` (pixel-shuffle): for strong noise that is correlated between neighbouring pixels (a phone at night, a
camera at high ISO, heavy JPEG), which one pass leaves much of, because it looks like detail. The image is split
into its four pixel-shuffled sub-images (the rows and columns of one parity each), in which neighbours were two
pixels apart, so the noise is far less correlated; each is denoised, they are put back together, and the whole is
denoised once more to take out what the split leaves (Zhou et al., ECCV 2020, and AP-BSN, Lee et al., CVPR 2022,
use the same downsampling). The split costs fine detail, since the sub-images alias it, so the result is kept only
where the image is smooth: a weight that falls from 1 to 0 as the local gradient of the result grows from nothing to
a few times the noise level blends it with the plain pass, which keeps edges and texture. Three passes: about 3x
the time of `plain`.

`auto` takes `shuffle` only where the evidence is strong: the noise estimated in the image's flattest blocks is
strong and correlated, and the plain pass took away little of it there. A clean photo's fine texture can look like
correlated noise to the estimator, and the split would cost it much (14 dB on clean CBSD68 images), which is why
the plain pass must also have left the noise standing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..noise.estimate import NoiseEstimate, removed_level

ROUTES = ("auto", "plain", "shuffle")
Pass = Callable[[np.ndarray], np.ndarray]  # H x W x C float32 in the network's range -> the network's output


@dataclass(frozen=True)
class RouteReport:
    """What was estimated for one image and which route it took, for --explain and the JSON output."""

    route: str  # "plain" or "shuffle"
    reason: str
    passes: int  # network passes over the image's pixels: 1 (plain) or 3 (shuffle)
    estimate: NoiseEstimate | None = None
    removed: float | None = None  # what the plain pass took away in the flat blocks, 8-bit levels

    def record(self) -> dict:
        return {
            "route": self.route,
            "reason": self.reason,
            "network_passes": self.passes,
            "noise": self.estimate.record() if self.estimate is not None else None,
            "plain_pass_removed": None if self.removed is None else round(self.removed, 3),
        }

    def describe(self) -> str:
        noise = f"{self.estimate.describe()}; " if self.estimate is not None else ""
        cost = "" if self.passes == 1 else f" ({self.passes} network passes: about {self.passes}x the time)"
        return f"{noise}route {self.route}{cost}: {self.reason}"


def candidate(est: NoiseEstimate) -> bool:
    """Whether an image's noise is strong and correlated enough to try the shuffle route (a plain pass decides)."""
    return est.level >= defaults.SHUFFLE_LEVEL and est.correlation >= defaults.SHUFFLE_CORRELATION


def choose(est: NoiseEstimate, before: np.ndarray, after: np.ndarray) -> tuple[str, str, float]:
    """(route, reason, removed) for a candidate image, from what its plain pass (`before` -> `after`) took away in its
    flat blocks."""
    removed = removed_level(before, after, est)
    if removed < defaults.SHUFFLE_REMOVED * est.level and removed >= defaults.SHUFFLE_MIN_REMOVED:
        reason = (
            f"strong correlated noise ({est.level:.1f} levels, correlation {est.correlation:.2f}) that one pass "
            f"left mostly standing (it took away {removed:.1f})"
        )
        return "shuffle", reason, removed
    if removed < defaults.SHUFFLE_MIN_REMOVED:
        why = f"one pass took away only {removed:.1f} levels: fine texture, not noise, as far as can be told"
    else:
        why = f"one pass took away {removed:.1f} of the {est.level:.1f} levels found"
    return "plain", why, removed


def plain_reason(est: NoiseEstimate) -> str:
    """Why a non-candidate image takes the plain route."""
    if est.level < defaults.SHUFFLE_LEVEL:
        return f"noise weaker than {defaults.SHUFFLE_LEVEL:g} levels"
    return f"noise nearly independent from pixel to pixel (correlation {est.correlation:.2f})"


def shuffle_route(whole: Pass, x: np.ndarray, plain: np.ndarray, level: float) -> np.ndarray:
    """The pixel-shuffle route for `x` (H x W x C float32 in the network's range), given its plain pass `plain`;
    `whole` runs the network over an image of any size; `level`: the noise's std in the network's range."""
    split = np.empty_like(x)
    for dy in (0, 1):
        for dx in (0, 1):
            sub = x[dy::2, dx::2]
            if sub.size:
                split[dy::2, dx::2] = whole(np.ascontiguousarray(sub))
    second = whole(split)
    weight = smooth_weight(second, level)
    return plain + weight * (second - plain)


def smooth_weight(image: np.ndarray, level: float) -> np.ndarray:
    """H x W x 1 weight, 1 where `image` is smooth and 0 at edges and texture: exp(-(g / (k level))^2), g the local
    mean (over about SHUFFLE_EDGE_RADIUS pixels) of the luma's absolute differences to the next pixel across and
    down, k = defaults.SHUFFLE_EDGE."""
    luma = image.mean(2)
    g = np.zeros_like(luma)
    g[:, :-1] += np.abs(np.diff(luma, axis=1))
    g[:-1, :] += np.abs(np.diff(luma, axis=0))
    for _ in range(2):  # two box blurs: nearly a Gaussian
        g = _box(_box(g, defaults.SHUFFLE_EDGE_RADIUS, 0), defaults.SHUFFLE_EDGE_RADIUS, 1)
    scale = max(defaults.SHUFFLE_EDGE * level, 1e-6)
    return np.exp(-np.square(g / scale))[..., None].astype(np.float32)


def _box(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Mean over a window of 2r + 1 along `axis`, the window cut at the borders."""
    n = a.shape[axis]
    c = np.cumsum(a, axis=axis, dtype=np.float64)
    c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
    hi = np.minimum(np.arange(n) + r + 1, n)
    lo = np.maximum(np.arange(n) - r, 0)
    total = np.take(c, hi, axis=axis) - np.take(c, lo, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = n
    return (total / (hi - lo).reshape(shape)).astype(np.float32)


def passes_memory(h: int, w: int, c: int) -> int:
    """Bytes the shuffle route holds beyond the plain one for an H x W x C image: float32 copies of the input, the
    plain pass, the split and its second pass, and the weight."""
    return int(4 * h * w * (4 * c + 2))
