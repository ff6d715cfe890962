"""Multi-page TIFFs are read in time linear in pages: a file is opened and its pages parsed once for all its frames,
not once per frame (which made 1000 pages take 15 times as long as 250). benchmarks/tiff_pages.py times it."""

from __future__ import annotations

import numpy as np
import tifffile

from n2n_cli.io import probe, read_frame


def pages_tiff(path, n: int) -> np.ndarray:
    frames = np.random.default_rng(0).integers(0, 4000, (n, 12, 12)).astype(np.uint16)
    with tifffile.TiffWriter(path) as tw:
        for f in frames:
            tw.write(f, metadata=None)  # one series per page: the layout that parsed every page per frame
    return frames


def test_every_frame_of_a_stack_is_read_from_one_opening(tmp_path, monkeypatch):
    frames = pages_tiff(tmp_path / "s.tif", 60)
    opened = []
    real = tifffile.TiffFile.__init__

    def counting(self, *a, **kw):
        opened.append(1)
        real(self, *a, **kw)

    monkeypatch.setattr(tifffile.TiffFile, "__init__", counting)
    info = probe(tmp_path / "s.tif")
    read = [read_frame(tmp_path / "s.tif", k, info) for k in range(info.frames)]
    assert info.frames == 60 and all(np.array_equal(r[..., 0], f) for r, f in zip(read, frames))
    assert len(opened) <= 2  # the probe, and one opening for all 60 frames


def test_a_file_changed_between_reads_is_read_afresh(tmp_path):
    pages_tiff(tmp_path / "s.tif", 3)
    info = probe(tmp_path / "s.tif")
    read_frame(tmp_path / "s.tif", 0, info)
    other = np.full((12, 12), 7, np.uint16)
    with tifffile.TiffWriter(tmp_path / "s.tif") as tw:
        for _ in range(3):
            tw.write(other, metadata=None)
    assert np.array_equal(read_frame(tmp_path / "s.tif", 1, info)[..., 0], other)
