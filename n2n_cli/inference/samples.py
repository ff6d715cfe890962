"""An image's samples to the network's input and the network's output back to the image's samples: x' = (x - lo) /
(hi - lo) by the image's Range (io/normalize.py), clamped to [0, 1] for the network; on the way back what the clamp
took is added again, so values outside the range pass through, and the result is rounded and clipped to an integer
type, or kept finite in a float one."""

from __future__ import annotations

import numpy as np

from ..io.normalize import Range

WIDE = float(np.finfo(np.float32).max) / 8  # ranges beyond this are mapped in float64: float32 would overflow


def _wide(rng: Range) -> bool:
    """A range of float data near float32's limits (+-3.4e38), whose mapping overflows in float32."""
    return max(abs(rng.lo), abs(rng.hi), rng.span) > WIDE


def _normalized(pixels: np.ndarray, rng: Range) -> np.ndarray:
    """Image pixels -> x' = (x - lo) / (hi - lo), not clamped: float32, or float64 for a wide range."""
    t = pixels.astype(np.float64 if _wide(rng) else np.float32)
    if rng.lo:
        t -= rng.lo
    t /= rng.span
    return t


def network_input(pixels: np.ndarray, rng: Range) -> np.ndarray:
    """Image pixels -> the network's input, clamp(x', 0, 1), float32."""
    t = _normalized(pixels, rng)
    return np.clip(t, 0, 1, out=t).astype(np.float32, copy=False)


def store(dest: np.ndarray, rows: np.ndarray, src: np.ndarray, rng: Range, strength: float = 1.0) -> None:
    """Network output (float32 in [0, 1], may be overwritten) for the pixels `src` -> `dest`, in the image's dtype
    and units: `strength` of the change the network made (1: all of it), and what the clamp took from x' added back,
    so values outside the range pass through."""
    if strength != 1:
        t = network_input(src, rng)
        rows -= t
        rows *= strength
        rows += t
    whole = src.dtype.kind in "ui" and rng.lo <= 0 and rng.hi >= np.iinfo(src.dtype).max  # nothing can lie outside
    if _wide(rng):
        rows = rows.astype(np.float64)
    if not whole:
        t = _normalized(src, rng)
        outside = t - np.clip(t, 0, 1)
        if outside.any():
            rows += outside
    rows *= rng.span
    if rng.lo:
        rows += rng.lo
    if dest.dtype.kind in "ui":
        peak = float(np.iinfo(dest.dtype).max)
        np.rint(rows, out=rows)
        np.clip(rows, 0, peak, out=rows)
    elif _wide(rng):  # back to float32 within its finite range: never infinite, never NaN
        np.clip(rows, -float(np.finfo(dest.dtype).max), float(np.finfo(dest.dtype).max), out=rows)
    dest[...] = rows
