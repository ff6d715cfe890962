"""PNG through libpng (imagecodecs): 16-bit reading, which Pillow cannot hold in colour, and all writing. Headers and
colour profiles are read from the chunks before the pixel data, without decoding."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .. import defaults
from .atomic import atomic_write
from .info import ImageInfo, icc_fits
from .pillow import MODE_OF_CHANNELS

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk, which the format puts first."""
    with open(path, "rb") as f:
        head = f.read(33)
    if len(head) < 33 or head[:8] != SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError("truncated or malformed PNG header")
    w, h, depth, color = struct.unpack(">IIBB", head[16:26])
    if zlib.crc32(head[12:29]) & 0xFFFFFFFF != struct.unpack(">I", head[29:33])[0]:
        raise ValueError("corrupt PNG header (bad IHDR checksum)")
    return w, h, depth, color


def probe_png16(path: Path) -> ImageInfo:
    w, h, _, color = png_header(path)
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(color)
    if channels is None:
        raise ValueError(f"bad PNG colour type {color} for 16 bits")
    return ImageInfo(path, "PNG16", 1, h, w, channels, np.dtype(np.uint16), _icc(path))


def _icc(path: Path) -> bytes | None:
    """The ICC profile of a PNG's iCCP chunk, from the chunks before the pixel data (where the format puts it)."""
    with open(path, "rb") as f:
        f.seek(33)  # after the signature and IHDR
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            length, kind = struct.unpack(">I4s", head)
            if kind in (b"IDAT", b"IEND"):
                return None
            if kind != b"iCCP":
                f.seek(length + 4, 1)
                continue
            data = f.read(length)
            name_end = data.find(b"\0")
            if name_end < 0 or len(data) < name_end + 2 or data[name_end + 1] != 0:
                raise ValueError("corrupt iCCP chunk")
            z = zlib.decompressobj()
            icc = z.decompress(data[name_end + 2 :], defaults.ICC_MAX_BYTES)
            if z.unconsumed_tail:
                raise ValueError(f"ICC profile over {defaults.ICC_MAX_BYTES // 2**20} MiB")
            return icc or None


def read_png16(path: Path) -> np.ndarray:
    import imagecodecs

    try:
        a = imagecodecs.png_decode(path.read_bytes())
    except (imagecodecs.PngError, UnicodeDecodeError):  # libpng's own text arrives garbled at times: not shown
        raise ValueError("corrupt PNG (libpng refused its chunks or data)") from None
    if a.dtype != np.uint16:
        raise ValueError(f"16-bit PNG decoded as {a.dtype}")
    return a[..., None] if a.ndim == 2 else a


def _with_icc(png: bytes, icc: bytes) -> bytes:
    """The PNG with an iCCP chunk right after IHDR (before the pixel data, as the format asks)."""
    data = b"ICC profile\0\0" + zlib.compress(icc)
    chunk = struct.pack(">I4s", len(data), b"iCCP") + data + struct.pack(">I", zlib.crc32(b"iCCP" + data))
    return png[:33] + chunk + png[33:]


def write_png(path: str | Path, image: np.ndarray, icc: bytes | None = None) -> None:
    """Write an H x W x C uint8/uint16 array as PNG, atomically, with `icc` as its colour profile when that profile
    fits the image's channels."""
    path = Path(path)
    if image.ndim != 3 or image.shape[2] not in MODE_OF_CHANNELS or image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"cannot write array of shape {image.shape} and dtype {image.dtype} as PNG")

    def write(f: BinaryIO) -> None:
        import imagecodecs

        png = bytes(
            imagecodecs.png_encode(
                np.ascontiguousarray(image.squeeze(2) if image.shape[2] == 1 else image),
                level=defaults.PNG_LEVEL,
                filter=defaults.PNG_FILTER,
            )
        )
        f.write(_with_icc(png, icc) if icc and icc_fits(icc, image.shape[2]) else png)

    atomic_write(path, write)
