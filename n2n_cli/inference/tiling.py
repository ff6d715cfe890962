"""Where tiles go: as few as keep neighbours `overlap` apart, spread evenly on the network's grid, the blending
weights at their inner edges, and where each tile alone covers the image.

Tiles overlap by `overlap` pixels. At a tile's inner edges the first quarter of the overlap is ignored (it saw a
border that the full image does not have) and the rest is blended with a linear ramp, so seams do not show. Tiles
start on the network's grid (its `multiple`), so it sees every pixel in the same phase as in one piece: away from
the seams the tiled output is the untiled one.
"""

from __future__ import annotations

import numpy as np


def ramp(n: int, overlap: int, start_inner: bool, end_inner: bool) -> np.ndarray:
    """Blending weights along one side of a tile of `n` pixels: 1 inside, a linear ramp over an inner edge's overlap
    after its first quarter (0 there)."""
    w = np.ones(n, np.float32)
    if overlap >= 4:
        margin = overlap // 4
        edge = np.clip((np.arange(overlap, dtype=np.float32) - margin + 1) / (overlap - 2 * margin + 1), 0, 1)
        k = min(overlap, n)
        if start_inner:
            w[:k] = np.minimum(w[:k], edge[:k])
        if end_inner:
            w[n - k :] = np.minimum(w[n - k :], edge[:k][::-1])
    return w


def layout(size: int, tile: int, overlap: int, multiple: int = 1) -> list[tuple[int, int]]:
    """(start, length) of each tile along one side of `size` pixels: as few tiles of at most `tile` as keep
    neighbours `overlap` apart, spread evenly and as short as that allows. Starts fall on the network's grid (a
    multiple of `multiple`, the step of its pixel-unshuffle and downsampling), so a tile sees the pixels in the
    same phase as the whole image would, and the tiled output equals the untiled one away from the seams. Every
    tile has one length, a multiple of the grid, but the last, which ends at the image's edge."""
    if size <= tile:
        return [(0, size)]
    unit = multiple if tile // multiple > -(-overlap // multiple) else 1  # a tile below the grid: no alignment
    cells, tile_c, overlap_c = -(-size // unit), tile // unit, -(-overlap // unit)
    n = -(-(cells - overlap_c) // (tile_c - overlap_c))
    t = -(-(cells + (n - 1) * overlap_c) // n)
    return [(s, min(t * unit, size - s)) for s in (round(i * (cells - t) / (n - 1)) * unit for i in range(n))]


def own_spans(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """For each tile's (start, length) along a side of `size` pixels (`layout`): the [first, end) pixels no other
    tile covers, where the blended output is that tile's own."""
    ends = [0] + [s + n for s, n in spans[:-1]]
    starts = [s for s, _ in spans[1:]] + [size]
    return [(max(s, e), min(s + n, nxt)) for (s, n), e, nxt in zip(spans, ends, starts)]
