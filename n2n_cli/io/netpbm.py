"""Netpbm gray and colour maps (PGM `P5`/`P2`, PPM `P6`/`P3`), read by n2n itself so that their samples keep their
values: a 12-bit camera's PGM (maxval 4095) is 16-bit samples 0-4095, as a 12-bit TIFF is, where Pillow would
stretch them to 0-65535. A maxval up to 255 gives 8-bit samples, above it 16-bit (big-endian in the file). Bitmaps
(PBM) go to Pillow. Only a file's first image is read (netpbm allows several, one after another)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .info import ImageInfo, check_size

SIGNATURES = (b"P2", b"P3", b"P5", b"P6")  # plain (ASCII) and raw, gray and colour
HEADER_MAX = 1 << 16  # a header (with its comments) longer than this is taken for a corrupt file


def _header(head: bytes) -> tuple[bytes, int, int, int, int]:
    """(magic, width, height, maxval, offset of the first sample) from a file's first bytes."""
    fields: list[bytes] = []
    i = 2
    while len(fields) < 3:
        while i < len(head) and (head[i : i + 1].isspace() or head[i : i + 1] == b"#"):
            if head[i : i + 1] == b"#":  # a comment runs to the end of its line
                while i < len(head) and head[i : i + 1] not in (b"\n", b"\r"):
                    i += 1
            else:
                i += 1
        start = i
        while i < len(head) and head[i : i + 1].isdigit():
            i += 1
        if i == start or i == len(head):
            raise ValueError("a corrupt netpbm header (width, height and maxval expected)")
        fields.append(head[start:i])
    if not head[i : i + 1].isspace():
        raise ValueError("a corrupt netpbm header (width, height and maxval expected)")
    w, h, maxval = map(int, fields)
    if not 0 < maxval < 65536:
        raise ValueError(f"maxval {maxval} (netpbm allows 1-65535)")
    return head[:2], w, h, maxval, i + 1


def _layout(path: Path) -> tuple[bytes, int, int, int, int]:
    with open(path, "rb") as f:
        return _header(f.read(HEADER_MAX))


def probe_netpbm(path: Path, max_pixels: int) -> ImageInfo:
    """The header of a PGM or PPM file."""
    magic, w, h, maxval, _ = _layout(path)
    check_size(path, w, h, max_pixels)
    channels = 3 if magic in (b"P3", b"P6") else 1
    dtype = np.dtype(np.uint8 if maxval < 256 else np.uint16)
    return ImageInfo(path, "PNM", 1, h, w, channels, dtype)  # not "PPM": Pillow names its netpbm files so


def read_netpbm(path: Path) -> np.ndarray:
    """The samples as H x W x C, uint8 (maxval up to 255) or uint16, as stored: never scaled to the type's range."""
    magic, w, h, maxval, offset = _layout(path)
    c = 3 if magic in (b"P3", b"P6") else 1
    n = w * h * c
    if magic in (b"P5", b"P6"):
        wide = maxval > 255
        raw = np.fromfile(path, np.dtype(">u2" if wide else "u1"), count=n, offset=offset)
        if raw.size < n:
            raise ValueError(f"truncated: {raw.size} of its {n} samples")
    else:
        with open(path, "rb") as f:
            f.seek(offset)
            words = f.read().split()
        if len(words) < n:
            raise ValueError(f"truncated: {len(words)} of its {n} samples")
        raw = np.array(words[:n], dtype=np.int64)
    if raw.max(initial=0) > maxval:
        raise ValueError(f"a sample of {int(raw.max())} above its maxval {maxval}")
    return np.ascontiguousarray(raw.reshape(h, w, c).astype(np.uint8 if maxval < 256 else np.uint16))
