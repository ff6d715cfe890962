"""What an image's noise is like, judged from the image alone: its level, how it changes with brightness, how far it
is correlated between neighbouring pixels, and how much of it is colour (chroma) rather than luma.

The noise is measured where the image is flattest. The image (luma, and the two chroma planes of a colour image,
BT.601 as JPEG uses) is cut into BLOCK x BLOCK blocks; in each, a plane (mean and linear gradient) is fitted and
taken away, and what is left is the noise plus whatever texture the block has. The blocks with the least left over
are taken as flat: the FLAT_SHARE of them with the lowest variance, within each brightness band, so that a bright
sky does not hide the noise of the shadows; a band with fewer than MIN_BLOCKS such blocks is left out (a few blocks
of one brightness are more likely texture than a flat area). A block's variance on pure noise scatters around the
true one, and the lowest of them lie below it, so the levels are scaled by what the same selection gives on pure
white noise (`_SELECTION_BIAS`, computed once).

Correlation is the mean, over the flat blocks, of each block's covariance between horizontal (and vertical)
neighbours over its variance: about 0 for white noise (a little below, as the plane fit takes a share), 0.3-0.7 for
a camera's processed noise. JPEG and in-camera noise reduction raise it.

Used to pick how an image is denoised (inference/route.py) and to tell the user (`n2n denoise --explain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BLOCK = 8  # side of the blocks the noise is measured in
FLAT_SHARE = 0.15  # share of each brightness band's blocks taken as flat
BANDS = (0, 48, 96, 160, 256)  # brightness bands (block mean luma, 8-bit levels) for the level by brightness
MIN_BLOCKS = 8  # a band with fewer flat blocks than this has no level of its own
MAX_BLOCKS = 20000  # blocks measured at most: larger images are sampled on a regular grid of blocks
YCC = np.array([(0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312)], np.float32)


@dataclass(frozen=True)
class NoiseEstimate:
    """Levels are standard deviations in 8-bit levels (0-255 scale of the network's range)."""

    level: float  # luma noise where the image is flat, over all brightness bands
    correlation: float  # between neighbouring pixels (mean of across and down), luma
    chroma: float  # chroma noise std over luma noise std (0 for gray images)
    by_brightness: tuple[float | None, ...]  # luma level in each of BANDS (None: too few flat blocks there)
    blocks: int  # flat blocks the estimate rests on
    corners: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), int), repr=False, compare=False)  # theirs

    def record(self) -> dict[str, Any]:
        """Plain values for JSON (the flat blocks' corners left out)."""
        return {
            "level": round(self.level, 3),
            "correlation": round(self.correlation, 3),
            "chroma": round(self.chroma, 3),
            "by_brightness": [None if b is None else round(b, 3) for b in self.by_brightness],
            "blocks": self.blocks,
        }

    def describe(self) -> str:
        bands = ", ".join(
            f"{lo}-{hi - 1}: {'-' if v is None else f'{v:.1f}'}"
            for lo, hi, v in zip(BANDS, BANDS[1:], self.by_brightness)
        )
        chroma = f", chroma/luma {self.chroma:.2f}" if self.chroma else ""
        return (
            f"noise std {self.level:.1f} levels, neighbour correlation {self.correlation:.2f}{chroma}; "
            f"by brightness ({bands})"
        )


def _plane_residual(blocks: np.ndarray) -> np.ndarray:
    """n x B x B blocks -> each minus its least-squares plane a + b*y + c*x."""
    b = blocks.shape[-1]
    t = np.arange(b, dtype=np.float32) - (b - 1) / 2
    gy, gx = np.meshgrid(t, t, indexing="ij")
    norm = float((gx**2).sum())
    mean = blocks.mean((1, 2), keepdims=True)
    cy = (blocks * gy).sum((1, 2), keepdims=True) / norm
    cx = (blocks * gx).sum((1, 2), keepdims=True) / norm
    return blocks - mean - cy * gy - cx * gx


def _blocks(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The BLOCK x BLOCK blocks of an H x W x C image at `corners` (n x 2, top and left): n x B x B x C."""
    idx = corners[:, :, None] + np.arange(BLOCK)  # n x 2 x B
    return image[idx[:, 0, :, None], idx[:, 1, None, :]]


def _luma(blocks: np.ndarray) -> np.ndarray:
    """n x B x B x C -> n x B x B: the luma of colour blocks, gray ones as they are."""
    return blocks[..., 0] if blocks.shape[-1] < 3 else np.tensordot(blocks[..., :3], YCC[0], axes=([3], [0]))


def _grid(h: int, w: int) -> np.ndarray:
    """Block corners (n x 2): every block, or about MAX_BLOCKS of them spread evenly over a large image."""
    side = max(1, int(math.sqrt(MAX_BLOCKS)))

    def along(size: int) -> np.ndarray:
        n = size // BLOCK
        return np.arange(n) * BLOCK if n <= side else np.linspace(0, n - 1, side).round().astype(int) * BLOCK

    ys, xs = along(h), along(w)
    return np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2)


def _stats(res: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per block: variance, and neighbour covariance over variance (across and down, averaged)."""
    var = (res**2).mean((1, 2))
    across = (res[:, :, 1:] * res[:, :, :-1]).mean((1, 2))
    down = (res[:, 1:, :] * res[:, :-1, :]).mean((1, 2))
    return var, (across + down) / 2 / np.maximum(var, 1e-12)


def _flat(var: np.ndarray, bright: np.ndarray) -> np.ndarray:
    """Indices of the flat blocks: the FLAT_SHARE lowest variances in each brightness band."""
    picked = []
    for lo, hi in zip(BANDS, BANDS[1:]):
        idx = np.flatnonzero((bright >= lo) & (bright < hi))
        k = math.ceil(len(idx) * FLAT_SHARE)
        if k:
            picked.append(idx[np.argsort(var[idx])[:k]])
    return np.concatenate(picked) if picked else np.zeros(0, int)


def _selection_bias() -> float:
    """What the lowest FLAT_SHARE of block variances average to on pure unit white noise."""
    rng = np.random.default_rng(0)
    res = _plane_residual(rng.standard_normal((20000, BLOCK, BLOCK)).astype(np.float32))
    var = (res**2).mean((1, 2))
    k = math.ceil(len(var) * FLAT_SHARE)
    return float(np.sort(var)[:k].mean())


_SELECTION_BIAS = _selection_bias()


def estimate_noise(image: np.ndarray, lo: float = 0.0, span: float = 1.0) -> NoiseEstimate:
    """The noise of an H x W x C image (C = 1 or 3, any sample type), its samples mapped to the network's range as
    (x - lo) / span; levels in 8-bit levels of that range. Only the measured blocks are read and converted."""
    h, w, c = image.shape
    empty = NoiseEstimate(0.0, 0.0, 0.0, (None,) * (len(BANDS) - 1), 0)
    corners = _grid(h, w)
    if len(corners) == 0:
        return empty
    # n x B x B x C in 8-bit levels, mapped in float64: float images may hold values near float32's limits
    blocks = np.nan_to_num(((_blocks(image, corners).astype(np.float64) - lo) * (255.0 / span)).astype(np.float32))
    luma = _luma(blocks)
    bright = luma.mean((1, 2))
    var, rho = _stats(_plane_residual(luma))
    flat = _flat(var, bright)
    if len(flat) == 0:
        return empty
    by_band: list[float | None] = []
    counted = []  # the flat blocks of the bands that have enough of them: a band of a few blocks is mostly texture
    for lo_band, hi_band in zip(BANDS, BANDS[1:]):
        sel = flat[(bright[flat] >= lo_band) & (bright[flat] < hi_band)]
        by_band.append(math.sqrt(float(var[sel].mean()) / _SELECTION_BIAS) if len(sel) >= MIN_BLOCKS else None)
        if len(sel) >= MIN_BLOCKS:
            counted.append(sel)
    flat = np.concatenate(counted) if counted else flat
    level = math.sqrt(float(var[flat].mean()) / _SELECTION_BIAS)
    chroma = 0.0
    if c >= 3 and level > 0:
        cb_cr = np.tensordot(blocks[flat][..., :3], YCC[1:].T, axes=([3], [0]))  # k x B x B x 2
        res = np.concatenate([_plane_residual(cb_cr[..., k]) for k in range(2)])
        chroma = math.sqrt(float((res**2).mean())) / level  # blocks picked by their luma: no selection to undo
    return NoiseEstimate(level, float(np.mean(rho[flat])), chroma, tuple(by_band), int(len(flat)), corners[flat])


def removed_level(before: np.ndarray, after: np.ndarray, estimate: NoiseEstimate) -> float:
    """What a pass took away where `estimate` found the image flat: the rms, in 8-bit levels, of the luma of
    before - after (both H x W x C in the network's range) over its flat blocks, each block's plane taken out."""
    if not len(estimate.corners):
        return 0.0
    return math.sqrt(float(removed_squares(before, after, estimate.corners).mean()))


def removed_squares(before: np.ndarray, after: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """removed_level's mean square in each block at `corners` (n x 2, top and left), levels^2: the blocks of one
    image's parts (its tiles) pool into the whole's by their mean."""
    diff = _luma((_blocks(before, corners) - _blocks(after, corners)).astype(np.float32)) * 255.0
    return (_plane_residual(diff) ** 2).mean((1, 2))
