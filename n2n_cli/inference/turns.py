"""The eight flips and quarter turns of an image, and back: what --tta averages, and the weak route's second pass."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Turn = tuple[int, bool]  # quarter turns, then mirrored left to right
DIHEDRAL: tuple[Turn, ...] = (
    (0, False),
    (1, True),
    (0, True),
    (1, False),
    (2, False),
    (2, True),
    (3, False),
    (3, True),
)
ANTI: Turn = (1, True)  # the anti-transpose: turned half a turn and transposed (the last pixel first); DIHEDRAL[1]


def turned(a: np.ndarray, turn: Turn, axes: tuple[int, int] = (0, 1), back: bool = False) -> np.ndarray:
    """`a` turned by `turn` in the plane of `axes` (rows, columns), a contiguous copy; `back`: the turn undone, a view
    (added to a sum, it copies nothing)."""
    k, mirror = turn
    if back:
        return np.rot90(np.flip(a, axes[1]) if mirror else a, -k, axes=axes)
    t = np.rot90(a, k, axes=axes)
    return np.ascontiguousarray(np.flip(t, axes[1]) if mirror else t)


def dihedral_mean(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """The mean of fn over the 8 flips and quarter turns of N x C x H x W `x`, each turned back."""
    acc = np.zeros_like(x, dtype=np.float32)
    for turn in DIHEDRAL:
        acc += turned(fn(turned(x, turn, (2, 3))), turn, (2, 3), back=True)
    return acc / 8
