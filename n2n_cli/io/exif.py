"""EXIF data carried from a photo to its denoised PNG: kept byte for byte, but for the orientation tag, set to 1
(upright), since n2n writes the pixels already rotated."""

from __future__ import annotations

import struct

EXIF_MAX_BYTES = 2**20  # larger EXIF blocks (a maker's huge preview) are dropped rather than copied
ORIENTATION = 0x0112
HEADER = b"Exif\x00\x00"  # JPEG's APP1 prefix; PNG's eXIf chunk holds the TIFF structure without it


def exif_block(raw: bytes | None) -> bytes | None:
    """The TIFF-structured EXIF block of `raw` (a JPEG APP1 payload, a PNG eXIf chunk), or None when it is missing,
    too large or not EXIF."""
    if not raw:
        return None
    data = raw[len(HEADER) :] if raw.startswith(HEADER) else raw
    if len(data) > EXIF_MAX_BYTES or len(data) < 8 or data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    return bytes(data)


def upright(exif: bytes) -> bytes:
    """`exif` (TIFF-structured) with its first IFD's orientation set to 1; anything unreadable is left as it is."""
    order = "<" if exif[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", exif, 4)
        (count,) = struct.unpack_from(order + "H", exif, offset)
        for k in range(count):
            at = offset + 2 + 12 * k
            tag, kind, n = struct.unpack_from(order + "HHI", exif, at)
            if tag == ORIENTATION and kind == 3 and n == 1:  # SHORT, one value, stored in the entry itself
                out = bytearray(exif)
                struct.pack_into(order + "H", out, at + 8, 1)
                return bytes(out)
    except struct.error:
        pass
    return exif
