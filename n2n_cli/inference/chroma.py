"""The colour a camera's weak noise leaves at edges: a photo's colour carries far less fine detail than its luma (a
camera's JPEG even stores it at half resolution), noise's colour does not. Where the auto route takes an image for a
camera's weak noise (route.weak_boost), the default model takes most of its luma noise and leaves its chroma nearly
as it was (`python -m experiments.chroma_left`: on `polyu_dev`, chroma error at edges 3.82 and 3.55 levels^2 before,
3.48 and 3.63 after); so the output's chroma detail finer than CHROMA_FINE pixels is held to CHROMA_BUDGET times its
luma's, the excess taken by a CHROMA_BLUR-pixel blur. A clean photo's colour lies within the budget and is left
alone; so are gray images."""

from __future__ import annotations

import math

import numpy as np

from .. import defaults
from ..noise.estimate import YCC

SAMPLE_TILE = 256  # a large image's detail is measured in tiles of this side ...
SAMPLE_TILES = 4  # ... this many down and across, spread evenly over it
_TO_RGB = np.linalg.inv(YCC.astype(np.float64)).astype(np.float32)


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    """An H x W float32 plane blurred by a Gaussian of `sigma` pixels: separable sums of shifted views, edges
    replicated (a convolution's unfolded copies would cost many planes of memory)."""
    r = max(1, math.ceil(3 * sigma))
    t = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    h, w = plane.shape
    p = np.pad(plane, r, mode="edge")
    rows = p[:, :w] * k[0]
    tmp = np.empty_like(rows)
    for i in range(1, 2 * r + 1):
        rows += np.multiply(p[:, i : i + w], k[i], out=tmp)
    out = rows[:h] * k[0]
    for i in range(1, 2 * r + 1):
        out += np.multiply(rows[i : i + h], k[i], out=tmp[:h])
    return out


def _fine(plane: np.ndarray) -> float:
    """The mean energy of a plane's detail finer than defaults.CHROMA_FINE pixels."""
    return float(np.mean((plane - _blur(plane, defaults.CHROMA_FINE)) ** 2))


def _tiles(image: np.ndarray) -> list[np.ndarray]:
    """The whole image, or for a large one SAMPLE_TILES x SAMPLE_TILES tiles spread evenly over it."""
    h, w = image.shape[:2]
    side = SAMPLE_TILE
    if h * w <= (SAMPLE_TILES * side) ** 2 or min(h, w) < side:
        return [image]
    ys = np.linspace(0, h - side, SAMPLE_TILES).round().astype(int)
    xs = np.linspace(0, w - side, SAMPLE_TILES).round().astype(int)
    return [image[y : y + side, x : x + side] for y in ys for x in xs]


def _energies(image: np.ndarray) -> tuple[float, float]:
    """The fine detail's energy of the luma and of the chroma (Cb + Cr) of an H x W x 3 image."""
    energy = np.zeros(3)
    for tile in _tiles(image):
        energy += [_fine(np.ascontiguousarray(tile @ YCC[c])) for c in range(3)]
    return float(energy[0]), float(energy[1] + energy[2])


def hold_chroma(image: np.ndarray, budget: float = defaults.CHROMA_BUDGET) -> tuple[np.ndarray, float]:
    """An H x W x 3 float32 image (the network's range) with its chroma's fine detail held to `budget` times its
    luma's, changed in place, and the share of the chroma's fine detail kept (1: the image as it was)."""
    luma, chroma = _energies(image)
    if chroma <= budget * luma:
        return image, 1.0
    keep = math.sqrt(budget * luma / chroma)
    for c in (1, 2):  # the luma stays: only each chroma plane's change goes back into R, G and B
        plane = np.ascontiguousarray(image @ YCC[c])
        change = _blur(plane, defaults.CHROMA_BLUR)
        change -= plane
        change *= 1 - keep
        for ch in range(3):
            image[..., ch] += change * _TO_RGB[ch, c]
    return image, keep
