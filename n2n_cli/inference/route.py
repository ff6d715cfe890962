"""Which way an image is denoised, chosen from its noise (noise/estimate.py) and, where that cannot tell, from what
two models make of it.

`plain`: the default model once over the image, tile by tile: what every image took before 0.8.0, and what most take
now (clean photos, Gaussian-like noise, a camera's weak noise). Under `auto`, a camera's weak noise (correlated,
below the camera model's level), which the default model takes only in part, takes the mean of two plain passes (the
image, and its anti-transpose: turned half a turn and transposed), its correction WEAK_BOOST times, and in colour
its chroma's fine detail held to CHROMA_BUDGET of its luma's (CHROMA_BUDGET_AGREED where the passes agree;
chroma.py): the default model leaves such noise's colour at edges.

`camera`: the camera model (defaults.CAMERA_MODEL), trained on strong camera noise made at a simulated sensor
(phones at night, high ISO: noise correlated between neighbouring pixels, blotchy in colour), which the default
model takes for detail and leaves. But what it learned costs clean photos their finest texture, and from the image
alone a camera's correlated grain and a clean photo's fine texture can look alike. So `auto` takes it only on two
pieces of evidence: the noise estimated in the image's flattest blocks is correlated and not weak (a candidate), and
there, where a clean photo has nothing to remove, the camera model takes away clearly more than the default model
does (at least defaults.CAMERA_EXTRA levels, and defaults.CAMERA_EXTRA_SHARE of the level found). A candidate costs
both passes, about twice the time of `plain`; an image of more than twice defaults.EVIDENCE_GRID^2 tiles has both
models judge it on a grid of EVIDENCE_GRID x EVIDENCE_GRID of its tiles spread over it (its flat blocks there where
no other tile reaches: there the outputs are those of whole passes), then takes the chosen one's pass. Where the
noise found is strong (defaults.CAMERA_SHUFFLE_LEVEL or more: a phone at night), the camera model also takes the
image's pixel-shuffled sub-images, as `shuffle` below does with the default model (`camera+shuffle`, four passes, or
three and the judged tiles): on the synthetic phone stand-in that beats the camera model's one pass, on weaker noise
it loses (docs/weights-history.md).

`shuffle` (pixel-shuffle, only when asked for): the image's four pixel-shuffled sub-images (rows and columns of one
parity each, where neighbours were two pixels apart and correlated noise far weaker) are denoised, put back, and the
whole denoised again (Zhou et al., ECCV 2020; AP-BSN, Lee et al., CVPR 2022); the result is kept where the image is
smooth, the plain pass where it has edges (the split aliases fine detail). Three passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..noise.estimate import BLOCK, YCC, NoiseEstimate
from .tiling import own_spans

ROUTES = ("auto", "plain", "camera", "shuffle")
STRONG = "strong noise: its pixel-shuffled sub-images through the camera model too"
WEAK = (
    f"; a camera's weak noise (correlated {defaults.WEAK_CORRELATION:g} or more), which the default model takes only "
    "in part: {}its correction taken {}"
)
HELD = (
    "; then its colour's fine detail held to {:.0%} of its luma's in energy (a photo's lies within, noise's not): {} "
    "of it kept"
)
TURNED = (
    "its outputs {} averaged (the image's and its anti-transpose's corrections correlated {:.2f}: "
    f"{defaults.WEAK_AGREEMENT[1]:g} or more for a camera's noise, less for a clean photo's detail), "
)
Pass = Callable[[np.ndarray], np.ndarray]  # H x W x C float32 in the network's range -> the network's output
Judged = tuple[tuple[int, int, int, int], np.ndarray]  # a tile (top, left, height, width), its flat blocks' corners


@dataclass(frozen=True)
class RouteReport:
    """What was estimated for one image and which route it took, for --explain and the JSON output."""

    route: str  # "plain", "camera", "camera+shuffle" or "shuffle"
    reason: str
    passes: int  # network passes over the image's pixels
    estimate: NoiseEstimate | None = None
    extra: float | None = None  # auto: what the camera model took away beyond the default where it is flat, levels
    boost: float = 1.0  # times the route's correction (output - input) was taken (route.weak_boost)
    agreement: float | None = None  # a camera's weak noise: how its two passes' corrections correlate (agreement)
    samples: tuple[float, float] | None = None  # a file not of 8 bits: its samples mapped to the network's 0 and 1
    chroma_kept: float | None = None  # a camera's weak noise in colour: the share of chroma detail kept (chroma.py)
    chroma_budget: float | None = None  # ... held to this share of its luma's (route.agreed_budget)
    grid: tuple[int, int] | None = None  # rows and columns added before a JPEG block grid found off the origin
    judged: tuple[int, int] | None = None  # auto, a large candidate: (tiles both models judged it on, its tiles)

    def record(self) -> dict:
        return {
            "route": self.route,
            "reason": self.reason,
            "network_passes": self.passes,
            "noise": self.estimate.record() if self.estimate is not None else None,
            "camera_model_extra": None if self.extra is None else round(self.extra, 3),
            "correction_scale": round(self.boost, 3),
            "passes_agreement": None if self.agreement is None else round(self.agreement, 3),
            "samples_mapped_to_0_1": None if self.samples is None else list(self.samples),
            "chroma_detail_kept": None if self.chroma_kept is None else round(self.chroma_kept, 3),
            "chroma_budget": None if self.chroma_budget is None else round(self.chroma_budget, 4),
            "jpeg_grid_shift": None if self.grid is None else list(self.grid),
            "judged_on_tiles": None if self.judged is None else list(self.judged),
        }

    def describe(self) -> str:
        noise = f"{self.estimate.describe()}; " if self.estimate is not None else ""
        cost = "" if self.passes == 1 else f" ({self.passes} network passes: about {self.passes}x the time)"
        if self.judged is not None:
            k, n = self.judged
            more = f"{self.passes} network passes, " if self.passes > 1 else ""
            cost = f" ({more}both models first on {k} of its {n} tiles: about {self.passes + 2 * k / n:.1f}x the time)"
        what = "for the image and for its anti-transpose" if self.passes == 2 else "for every flip and turn (--tta)"
        turned = "" if self.agreement is None else TURNED.format(what, self.agreement)
        times = "once" if self.boost == 1 else f"{self.boost:.2g} times"
        weak = WEAK.format(turned, times) if self.boost != 1 or turned else ""
        if self.chroma_kept is not None:
            budget = defaults.CHROMA_BUDGET if self.chroma_budget is None else self.chroma_budget
            weak += HELD.format(budget, "all" if self.chroma_kept == 1 else f"{self.chroma_kept:.0%}")
        samples = "" if self.samples is None else f"samples {self.samples[0]:g} to {self.samples[1]:g} mapped to 0-1; "
        if self.grid is not None:
            samples += (
                f"JPEG block grid found off the origin: {self.grid[0]} rows and {self.grid[1]} columns added before "
                "it (mirrored, cut off after) to put it where the models learned it; "
            )
        return f"{samples}{noise}route {self.route}{cost}: {self.reason}{weak}"


def candidate(est: NoiseEstimate) -> bool:
    """Whether an image's noise may be a camera's strong noise, which the camera model may take better (both
    models' outputs then decide: `choose`)."""
    return est.level >= defaults.CAMERA_LEVEL and est.correlation >= defaults.CAMERA_CORRELATION


def plain_reason(est: NoiseEstimate) -> str:
    """Why a non-candidate image takes the default model alone."""
    if est.level < defaults.CAMERA_LEVEL:
        return f"noise weaker than {defaults.CAMERA_LEVEL:g} levels"
    return f"noise nearly independent from pixel to pixel (correlation {est.correlation:.2f})"


def weak_boost(est: NoiseEstimate) -> float:
    """How many times the default model's correction (output - input) an image on the plain pass takes under `auto`
    with the bundled models: defaults.WEAK_BOOST for noise weaker than defaults.CAMERA_LEVEL and correlated at least
    defaults.WEAK_CORRELATION (a camera's weak noise: the default model takes away part of it), else 1. On a clean
    photo that looks so, the correction is small and stays so (docs/denoise.md has both measured)."""
    weak = est.level < defaults.CAMERA_LEVEL and est.correlation >= defaults.WEAK_CORRELATION
    return defaults.WEAK_BOOST if weak else 1.0


def agreement(x: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """How two passes' corrections of an H x W x C image `x` correlate, over the image (their luma in colour): near
    1 where they take away the same noise, lower where they are mostly the network's own errors, which differ
    between the image and its anti-transpose (a clean photo's fine detail: experiments/pass_agreement.py)."""
    w = YCC[0] if x.shape[2] == 3 else np.ones(1, np.float32)
    base = x @ w
    a, b = first @ w, second @ w
    a -= base
    b -= base
    a -= a.mean()
    b -= b.mean()
    a, b = a.ravel(), b.ravel()
    return float(np.dot(a, b) / (math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b))) + 1e-12))


def agreed_share(agree: float) -> float:
    """0 for passes whose corrections agree defaults.WEAK_AGREEMENT[0] or less, 1 from WEAK_AGREEMENT[1], linear
    between."""
    lo, hi = defaults.WEAK_AGREEMENT
    return min(1.0, max(0.0, (agree - lo) / (hi - lo)))


def agreed_boost(boost: float, agree: float) -> float:
    """The factor `boost` (weak_boost) for passes whose corrections agree (agreed_share), 1 where they do not."""
    return 1 + (boost - 1) * agreed_share(agree)


def agreed_budget(agree: float) -> float:
    """The chroma budget (chroma.hold_chroma) of a colour image on the weak route: defaults.CHROMA_BUDGET where its
    passes disagree (a clean photo's colour detail may be real), CHROMA_BUDGET_AGREED where they agree (agreed_share):
    noise there, and a photo's colour is smoother than its luma (experiments/pass_agreement.py)."""
    return defaults.CHROMA_BUDGET + (defaults.CHROMA_BUDGET_AGREED - defaults.CHROMA_BUDGET) * agreed_share(agree)


def camera_need(level: float, extra: float | None = None) -> float:
    """How many levels more than the default model the camera model must take away where a candidate with noise of
    `level` is flat for `choose` to give it the camera model (`extra`: defaults.CAMERA_EXTRA)."""
    return max(defaults.CAMERA_EXTRA if extra is None else extra, defaults.CAMERA_EXTRA_SHARE * level)


def choose(est: NoiseEstimate, extra: float) -> tuple[str, str]:
    """(route, reason) for a candidate, from `extra`: what the camera model takes away beyond the default model where
    the image is flat (noise/estimate.py's removed_level of the two outputs), in levels. The camera model's route
    when that is clearly more than the noise's share."""
    need = camera_need(est.level)
    if extra >= need:
        why = f"a camera's strong noise: where the image is flat the camera model took away {extra:.1f} levels more"
        return "camera", why
    why = f"the camera model took away only {extra:.1f} levels more where the image is flat (less than {need:.1f})"
    return "plain", why


def judged_tiles(
    ys: list[tuple[int, int]], xs: list[tuple[int, int]], h: int, w: int, est: NoiseEstimate
) -> list[Judged] | None:
    """The tiles a candidate of h x w pixels, tiled by `ys` and `xs` (tiling.layout), is judged on by both models:
    a grid of EVIDENCE_GRID x EVIDENCE_GRID spread evenly over it (the flattest tiles would judge it by its
    smoothest parts only: experiments.evidence_tiles), each with the corners of its flat blocks (`est`) that lie
    where no other tile reaches, relative to it: there each model's output on the tile is its output on the whole
    image. None: an image of at most twice that many tiles (both models' whole passes then cost no more than the
    judged tiles and the chosen pass), or one without flat blocks there."""
    g = defaults.EVIDENCE_GRID
    if len(ys) * len(xs) <= 2 * g * g:
        return None
    own_y, own_x = own_spans(ys, h), own_spans(xs, w)
    corners = est.corners
    picked = []
    for r in _spread(len(ys), g):
        (y, th), (y0, y1) = ys[r], own_y[r]
        down = (corners[:, 0] >= y0) & (corners[:, 0] + BLOCK <= y1)
        for c in _spread(len(xs), g):
            (q, tw), (x0, x1) = xs[c], own_x[c]
            inside = down & (corners[:, 1] >= x0) & (corners[:, 1] + BLOCK <= x1)
            if inside.any():
                picked.append(((y, q, th, tw), corners[inside] - np.array([y, q])))
    return picked or None


def _spread(n: int, k: int) -> list[int]:
    """`k` of `n` indices spread evenly (the middle of each k-th part), all of them when k >= n."""
    return list(range(n)) if k >= n else sorted({(2 * i + 1) * n // (2 * k) for i in range(k)})


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
    """Bytes a route holds beyond the plain pass for an H x W x C image, at most: float32 copies of the input, the
    plain pass, the camera model's output, the split and its second pass, and the weight."""
    return int(4 * h * w * (5 * c + 2))
