"""PNG through libpng (imagecodecs): 16-bit reading, which Pillow cannot hold in colour, and all writing. Headers,
colour profiles, EXIF data and transparency are read from the chunks, without decoding: a 16-bit image is turned by
its EXIF orientation and its transparent colour (tRNS) becomes an alpha channel, as Pillow's formats are
(pillow.py)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .. import defaults
from .atomic import Rule, atomic_write
from .exif import exif_block, orient, orientation, upright
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
    icc, exif, trns = _chunks(path)
    turn = orientation(exif) or 1
    if turn in (5, 6, 7, 8):
        h, w = w, h
    channels += 1 if _transparent_colour(trns, channels) is not None else 0
    return ImageInfo(path, "PNG16", 1, h, w, channels, np.dtype(np.uint16), icc, exif=exif, orientation=turn)


def png_exif(path: Path) -> bytes | None:
    """A PNG's EXIF block (its eXIf chunk, before or after the pixel data)."""
    return _chunks(path)[1]


def _transparent_colour(trns: bytes | None, channels: int) -> np.ndarray | None:
    """The one colour a gray or RGB PNG's tRNS chunk makes transparent, as 16-bit samples, or None."""
    if trns is None or channels not in (1, 3) or len(trns) != 2 * channels:
        return None
    return np.frombuffer(trns, ">u2").astype(np.uint16)


def _chunks(path: Path) -> tuple[bytes | None, bytes | None, bytes | None]:
    """The ICC profile (iCCP chunk), EXIF data (eXIf: the format puts it before the pixel data, some writers after)
    and transparency (tRNS) of a PNG, read by seeking from chunk to chunk, never decoding."""
    icc: bytes | None = None
    exif: bytes | None = None
    trns: bytes | None = None
    with open(path, "rb") as f:
        f.seek(33)  # after the signature and IHDR
        while True:
            head = f.read(8)
            if len(head) < 8:
                return icc, exif, trns
            length, kind = struct.unpack(">I4s", head)
            if kind == b"IEND":
                return icc, exif, trns
            if kind in (b"eXIf", b"tRNS") and length <= 2**20:
                data = f.read(length)
                f.seek(4, 1)
                if kind == b"tRNS":
                    trns = data
                elif exif is None:
                    exif = exif_block(data)
                continue
            if kind != b"iCCP" or icc is not None:
                f.seek(length + 4, 1)
                continue
            data = f.read(length)
            f.seek(4, 1)
            name_end = data.find(b"\0")
            if name_end < 0 or len(data) < name_end + 2 or data[name_end + 1] != 0:
                raise ValueError("corrupt iCCP chunk")
            z = zlib.decompressobj()
            icc = z.decompress(data[name_end + 2 :], defaults.ICC_MAX_BYTES)
            if z.unconsumed_tail:
                raise ValueError(f"ICC profile over {defaults.ICC_MAX_BYTES // 2**20} MiB")
            icc = icc or None


def read_png16(path: Path, turn: int = 1) -> np.ndarray:
    """The pixels as H x W x C uint16, turned by EXIF orientation `turn` (the probe's), an alpha channel added where
    a tRNS chunk names the transparent colour."""
    import imagecodecs

    try:
        a = imagecodecs.png_decode(path.read_bytes())
    except (imagecodecs.PngError, UnicodeDecodeError):  # libpng's own text arrives garbled at times: not shown
        raise ValueError("corrupt PNG (libpng refused its chunks or data)") from None
    if a.dtype != np.uint16:
        raise ValueError(f"16-bit PNG decoded as {a.dtype}")
    a = a[..., None] if a.ndim == 2 else a
    colour = _transparent_colour(_chunks(path)[2], a.shape[2])
    if colour is not None:
        alpha = np.where(np.all(a == colour, axis=2, keepdims=True), 0, 65535).astype(np.uint16)
        a = np.concatenate([a, alpha], axis=2)
    return np.ascontiguousarray(orient(a, turn))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I4s", len(data), kind) + data + struct.pack(">I", zlib.crc32(kind + data))


def _with_chunks(png: bytes, icc: bytes | None, exif: bytes | None) -> bytes:
    """The PNG with iCCP and eXIf chunks right after IHDR (before the pixel data, as the format asks)."""
    extra = _chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc)) if icc else b""
    exif = upright(exif) if exif else None  # None: an orientation that cannot be reset; the block is left out
    extra += _chunk(b"eXIf", exif) if exif else b""
    return png[:33] + extra + png[33:]


def write_png(
    path: str | Path,
    image: np.ndarray,
    icc: bytes | None = None,
    exif: bytes | None = None,
    rule: Rule | None = None,
) -> None:
    """Write an H x W x C uint8/uint16 array as PNG, atomically (a file there replaced as `rule` allows), with `icc`
    as its colour profile when that profile fits the image's channels, and `exif` (TIFF-structured EXIF data) with its
    orientation reset to upright."""
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
        f.write(_with_chunks(png, icc if icc_fits(icc, image.shape[2]) else None, exif))

    atomic_write(path, write, rule)
