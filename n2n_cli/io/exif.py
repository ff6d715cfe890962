"""EXIF data carried from a photo to its denoised PNG, and the orientation it gives, handled one way for every format
(JPEG, WebP, 8- and 16-bit PNG) and every storage of the tag (BYTE, SHORT or LONG, either byte order): the pixels are
turned upright on reading (`orient`) and the tag is reset to 1 in the output (`upright`), or neither. An orientation
tag that cannot be reset (stored as another type) takes the EXIF block out of the output rather than leave it to turn
the upright pixels again."""

from __future__ import annotations

import struct

import numpy as np

EXIF_MAX_BYTES = 2**20  # larger EXIF blocks (a maker's huge preview) are dropped rather than copied
ORIENTATION = 0x0112
HEADER = b"Exif\x00\x00"  # JPEG's APP1 prefix; PNG's eXIf chunk holds the TIFF structure without it
INTEGERS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i"}  # TIFF integer types: BYTE, SHORT, LONG and signed


def exif_block(raw: bytes | None) -> bytes | None:
    """The TIFF-structured EXIF block of `raw` (a JPEG APP1 payload, a PNG eXIf chunk), or None when it is missing,
    too large or not EXIF."""
    if not raw:
        return None
    data = raw[len(HEADER) :] if raw.startswith(HEADER) else raw
    if len(data) > EXIF_MAX_BYTES or len(data) < 8 or data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    return bytes(data)


def _slot(exif: bytes) -> tuple[int, str | None] | None:
    """Where the first IFD's orientation value is: (its offset, its struct format with the byte order), the format
    None when the tag is there but not one integer; None when there is no tag."""
    order = "<" if exif[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", exif, 4)
        (count,) = struct.unpack_from(order + "H", exif, offset)
        for k in range(count):
            at = offset + 2 + 12 * k
            tag, kind, n = struct.unpack_from(order + "HHI", exif, at)
            if tag == ORIENTATION:
                return at + 8, order + INTEGERS[kind] if kind in INTEGERS and n == 1 else None
    except struct.error:
        pass
    return None


def orientation(exif: bytes | None) -> int | None:
    """The orientation tag of an EXIF block: 1 to 8 as stored (any integer type), 1 for a value no viewer turns by,
    or None when there is no tag or it is not one integer."""
    slot = _slot(exif) if exif else None
    if slot is None or slot[1] is None:
        return None
    (value,) = struct.unpack_from(slot[1], exif or b"", slot[0])
    return value if 1 <= value <= 8 else 1


def upright(exif: bytes) -> bytes | None:
    """`exif` (TIFF-structured) with its first IFD's orientation set to 1 in the type it is stored in; `exif` as it
    is without the tag; None when the tag is there in a form that cannot be reset (the block is then left out)."""
    slot = _slot(exif)
    if slot is None:
        return exif
    at, fmt = slot
    if fmt is None:
        return None
    out = bytearray(exif)
    out[at : at + 4] = b"\0\0\0\0"
    struct.pack_into(fmt, out, at, 1)
    return bytes(out)


def orient(a: np.ndarray, value: int) -> np.ndarray:
    """An H x W x C array as shown under EXIF orientation `value` (2 to 8 mirror and turn it; anything else: as it
    is), the way viewers show it."""
    if value == 2:
        return a[:, ::-1]
    if value == 3:
        return a[::-1, ::-1]
    if value == 4:
        return a[::-1]
    if value == 5:
        return a.transpose(1, 0, 2)
    if value == 6:
        return np.rot90(a, -1)
    if value == 7:
        return a[::-1, ::-1].transpose(1, 0, 2)
    if value == 8:
        return np.rot90(a, 1)
    return a
