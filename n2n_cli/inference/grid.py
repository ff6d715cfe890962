"""A JPEG's 8 x 8 block grid, found in the pixels, and where the networks expect it.

A camera's JPEG holds its noise in 8 x 8 blocks that start at the image's first row and column, and the bundled
models learned that noise from crops saved as JPEG the same way: they take it well only with the grid in that
phase. A crop of such a photo saved without JPEG (a PNG or TIFF cut at any place), or a frame with a border added,
moves the grid, and the models then leave much of the noise (`python -m experiments.grid_phase`: a `polyu_dev` shot
cut 2-5 pixels off its grid keeps up to 1.6 dB more of its error). The grid shows where neighbouring pixels differ
more across a block's edge than within it. Where it is found off the origin, the image is padded (mirrored) so that
it starts on the grid and spans whole blocks, denoised, and cut back. Images without a grid (synthetic noise,
microscopy captures, 16-bit files) show none and pass as they are."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import defaults
from ..noise.estimate import YCC

SAMPLE = 1024  # a large image's grid is measured in a central window of about this side


def _profile(luma: np.ndarray, axis: int) -> np.ndarray:
    """The mean absolute difference between neighbours across each of the 8 phases of a block's edge, over its mean:
    entry p for the edges just before column (axis 1) or row (axis 0) p, modulo 8."""
    b = defaults.JPEG_BLOCK
    d = np.abs(np.diff(luma, axis=axis))
    d = d if axis == 1 else d.T
    sums = np.array([d[:, (p - 1) % b :: b].mean() for p in range(b)])
    return sums / max(float(sums.mean()), 1e-12)


def _phase(profile: np.ndarray) -> int | None:
    """Where the blocks start (0-7), or None when no edge stands out clearly enough to call it a grid."""
    order = np.sort(profile)
    if order[-1] < defaults.GRID_STRENGTH or order[-1] < defaults.GRID_MARGIN * order[-2]:
        return None
    return int(profile.argmax())


def grid_pads(image: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """For an H x W x C image (any sample type: a JPEG read as 8 bits, or as floats by `n2n eval`) whose JPEG block
    grid lies off its origin, or whose size is not whole blocks: ((top, bottom), (left, right)) pixels to add so
    that it starts on the grid and ends on it; None when no grid is found or nothing needs adding."""
    b = defaults.JPEG_BLOCK
    h, w = image.shape[:2]
    if min(h, w) < 4 * b:
        return None
    y0 = max(0, (h - SAMPLE) // 2) // b * b  # a window that keeps the grid's phase
    x0 = max(0, (w - SAMPLE) // 2) // b * b
    win = image[y0 : y0 + SAMPLE, x0 : x0 + SAMPLE].astype(np.float32)
    luma = win[..., 0] if win.shape[2] < 3 else win[..., :3] @ YCC[0]
    phases = [_phase(_profile(luma, axis)) for axis in (0, 1)]
    if phases == [None, None]:
        return None
    pads = []
    for size, phase in zip((h, w), phases):
        before = 0 if phase is None else (b - phase) % b
        pads.append((before, -(size + before) % b if phase is not None else 0))
    return None if all(p == (0, 0) for p in pads) else (pads[0], pads[1])


def on_grid(
    image: np.ndarray, denoise: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """`denoise(image)`, with the image padded onto its grid first and cut back after where grid_pads finds it off
    (or short of whole blocks); and the (rows, columns) added before it (None: none, the grid was at the origin)."""
    pads = grid_pads(image)
    if pads is None:
        return denoise(image), None
    (top, _), (left, _) = pads
    out = denoise(np.pad(image, (*pads, (0, 0)), mode="reflect"))  # pads < 8, the image at least 32
    cut = np.ascontiguousarray(out[top : top + image.shape[0], left : left + image.shape[1]])
    return cut, (top, left) if top or left else None
