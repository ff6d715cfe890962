"""TIFF through tifffile (stacks, 16-bit, float, compressed): every axis but Y, X and samples is a frame axis."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import ImageError
from .atomic import Rule, atomic_write
from .info import ImageInfo, icc_fits
from .tifflook import look_args, read_look
from .tiffmeta import TiffLayout, pages, read_layout, write_args

SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
ICC_TAG = 34675  # InterColorProfile


def _layout(series: Any) -> tuple[int, int, int, int, str]:
    """(frames, height, width, channels, axes) of a tifffile series: every axis but Y, X and samples (S) is a frame
    axis (pages, Z, T, C, ...), so a multichannel microscopy stack is denoised one channel image at a time."""
    axes, shape = series.axes, series.shape
    if "Y" not in axes or "X" not in axes:
        raise ValueError(f"TIFF layout {axes} has no Y and X axes")
    size = dict(zip(axes, shape))
    channels = size.get("S", 1)
    frames = int(np.prod([n for a, n in zip(axes, shape) if a not in "YXS"], dtype=np.int64))
    return frames, size["Y"], size["X"], channels, axes


def _dtype(dtype: np.dtype) -> np.dtype:
    if dtype in (np.uint8, np.uint16):
        return np.dtype(dtype)
    if dtype.kind == "f":
        return np.dtype(np.float32)
    if dtype.kind in "iu" and dtype.itemsize <= 4:
        return np.dtype(np.uint16)  # 32-bit or signed integers: values checked to fit 0-65535 on reading
    raise ValueError(f"unsupported sample type {dtype}")


def _parts(tif: Any, path: Path) -> list[tuple[Any, int]]:
    """(series, frame count) for each image series of a TIFF, all of one frame shape and sample type: a file written
    page by page (tifffile.imwrite(..., append=True)) holds one series per page, and is read as one stack. Series
    that differ (a thumbnail beside the image, unrelated images) cannot be one stack and are refused."""
    if not tif.series:
        raise ValueError("no image in the TIFF")
    parts, kinds = [], []
    for s in tif.series:
        frames, h, w, c, _ = _layout(s)
        parts.append((s, frames))
        kinds.append((w, h, c, np.dtype(s.dtype)))
    if len(set(kinds)) > 1:
        sizes = ", ".join(f"{w}x{h}x{c} {d.name}" for w, h, c, d in kinds[:4]) + (", ..." if len(kinds) > 4 else "")
        raise ImageError(
            f"{path}: {len(kinds)} images of different sizes or types ({sizes}); n2n reads a TIFF as "
            "one image or one stack of equal frames: save each image in a file of its own"
        )
    return parts


def probe_tiff(path: Path) -> ImageInfo:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        parts = _parts(tif, path)
        s = parts[0][0]
        _, h, w, channels, _ = _layout(s)
        if channels > 4:
            raise ImageError(f"{path}: {channels} samples per pixel; n2n reads 1 to 4 (gray, RGB, alpha)")
        if s.dtype == np.bool_:
            raise ImageError(f"{path}: a 1-bit (black and white) TIFF has no noise to remove")
        frames = sum(n for _, n in parts)
        tag = tif.pages[0].tags.get(ICC_TAG)
        icc = bytes(tag.value) if tag is not None and isinstance(tag.value, (bytes, bytearray)) and tag.value else None
        layout = read_layout(tif, [p for p, _ in parts])
        layout = replace(layout, look=read_look(tif, tif.pages[0], path, layout.kind))
        return ImageInfo(path, "TIFF", frames, h, w, channels, _dtype(np.dtype(s.dtype)), icc, layout=layout)


class _Opened:
    """The TIFF whose frames are being read, kept open with its parsed series: opening a file parses all its pages,
    so reading each of N frames from a freshly opened file would take time in N^2. One file at a time, reopened
    when the file changes (its inode, size or modification time)."""

    def __init__(self) -> None:
        self.key: tuple[str, int, int, int] | None = None
        self.tif: Any = None
        self.parts: list[tuple[Any, int]] = []
        self.lock = threading.Lock()

    def get(self, path: Path) -> tuple[Any, list[tuple[Any, int]]]:
        import tifffile

        st = os.stat(path)
        key = (os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns)
        if key != self.key:
            self.close()
            tif = tifffile.TiffFile(path)
            try:
                self.parts = _parts(tif, path)
            except BaseException:
                tif.close()
                raise
            self.tif, self.key = tif, key
        return self.tif, self.parts

    def close(self) -> None:
        if self.tif is not None:
            self.tif.close()
        self.tif, self.key, self.parts = None, None, []


_OPENED = _Opened()


def read_tiff_frame(path: Path, frame: int, info: ImageInfo) -> np.ndarray:
    with _OPENED.lock:
        try:
            return _read_frame(*_OPENED.get(path), path, frame, info)
        except BaseException:
            _OPENED.close()  # a file that failed is parsed afresh next time
            raise


def _read_frame(tif: Any, parts: list[tuple[Any, int]], path: Path, frame: int, info: ImageInfo) -> np.ndarray:
    for s, count in parts:  # noqa: B007  the series that holds this frame, used after the loop
        if frame < count:
            break
        frame -= count
    _, h, w, c, axes = _layout(s)
    pages = s.pages if hasattr(s, "pages") else []
    page = pages[frame] if len(pages) == count and pages[frame] is not None else None
    if page is not None and page.shape in ((h, w), (h, w, c), (c, h, w)):
        a = page.asarray()
        if a.shape == (c, h, w) and c > 1 and (h, w) != (c, h):  # planar samples
            a = np.moveaxis(a, 0, -1)
    else:  # layouts whose frames are not one page each (ImageJ contiguous stacks)
        offset = getattr(s, "dataoffset", None)
        if offset is not None:  # stored contiguous and uncompressed: map it, so only this frame is read
            a = np.memmap(
                path,
                dtype=np.dtype(s.dtype).newbyteorder(tif.byteorder),
                mode="r",
                offset=offset,
                shape=tuple(s.shape),
            )
        else:
            a = s.asarray()
        order = [i for i, ax in enumerate(axes) if ax not in "YXS"] + [axes.index("Y"), axes.index("X")]
        order += [axes.index("S")] if "S" in axes else []
        a = np.transpose(a, order).reshape(count, h, w, c)[frame]
    a = a.reshape(h, w, c)
    if a.dtype.kind in "iu" and a.dtype not in (np.uint8, np.uint16):
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(f"{a.dtype} samples outside 0-65535")
    if a.dtype.kind == "f" and a.dtype.itemsize > 4 and a.size:
        peak = float(np.nanmax(np.abs(np.where(np.isfinite(a), a, 0))))
        if peak > float(np.finfo(np.float32).max):
            raise ValueError(f"{a.dtype} samples up to {peak:.3g}, beyond float32 (+-3.4e38), which n2n computes in")
    return a.astype(info.dtype, copy=False)


def write_tiff(
    path: str | Path,
    frames: Iterable[np.ndarray],
    icc: bytes | None = None,
    layout: TiffLayout | None = None,
    rule: Rule | None = None,
) -> int:
    """Write H x W x C frames (one dtype and shape) as a TIFF, atomically (a file there replaced as `rule` allows);
    frames are written as they come, so a stack need not fit in memory. `layout`: the input's (tiffmeta.py), whose
    shape, axes, sample type, calibration and compression the file keeps; without one, a multi-page TIFF, one page
    per frame, compressed losslessly. `icc`: the colour profile, kept when it fits the channels. Returns the frame
    count."""
    import tifffile

    count = [0]

    def write(f: BinaryIO) -> None:
        it = iter(frames)
        first = next(it, None)
        if first is None:
            raise ValueError("no frame to write")
        c = first.shape[2]
        look = {
            "photometric": "rgb" if c in (3, 4) else "minisblack",
            "extrasamples": ("unassalpha",) if c in (2, 4) else None,
            "iccprofile": icc if icc_fits(icc, c) else None,
        }
        rest = itertools.chain([first], it)
        if layout is not None:
            if layout.look is not None:  # what the input's samples meant, and its descriptive tags
                look = {**look_args(layout.look, c), "iccprofile": look["iccprofile"]}
            with tifffile.TiffWriter(f, bigtiff=layout.bigtiff, imagej=layout.kind == "imagej") as tw:
                tw.write(pages(rest, layout, count), **look, **write_args(layout))
            return
        with tifffile.TiffWriter(f, bigtiff=False) as tw:
            for img in rest:
                tw.write(img if c > 1 else img[..., 0], **look, compression="zlib", contiguous=False, metadata=None)
                count[0] += 1  # no per-page shape: readers see one series of pages

    atomic_write(path, write, rule)
    return count[0]
