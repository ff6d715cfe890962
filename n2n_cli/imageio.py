"""Read and write images as integer arrays that keep their mode and bit depth.

An image is an H x W x C numpy array, uint8 or uint16, with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
Pillow does the work, except for 16-bit colour PNGs, which it cannot hold: a small PNG codec here reads and writes
those. Writes are atomic (temp file, then rename), so an interrupted run never leaves half a PNG behind.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .atomic import atomic_write
from .errors import UserError

Image.MAX_IMAGE_PIXELS = None  # the user chose the file; big images are the point of tiled denoising

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS_OF_COLOR_TYPE = {0: 1, 4: 2, 2: 3, 6: 4}
_COLOR_TYPE_OF_CHANNELS = {c: t for t, c in _CHANNELS_OF_COLOR_TYPE.items()}
_PIL_MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


class ImageError(UserError):
    """A file that cannot be read or written as an image; the message names the file and the problem."""


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as H x W x C uint8 or uint16 (C in 1..4, alpha last)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(33)
        if head[:8] == _PNG_SIG and head[12:16] == b"IHDR" and head[24] == 16 and head[25] in (2, 4, 6):
            return _read_png16(path)
        with Image.open(path) as im:
            if im.getexif().get(0x0112, 1) != 1:  # rotate per EXIF; skipped otherwise, as it copies the image
                im = ImageOps.exif_transpose(im)
            return _from_pil(im)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (OSError, ValueError, SyntaxError, zlib.error, struct.error, IndexError) as e:
        raise ImageError(f"{path}: cannot read image ({e})") from None


def _from_pil(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        a = np.asarray(im)
        if a.min(initial=0) < 0 or a.max(initial=0) > 65535:
            raise ValueError(f"32-bit integer image with values outside 0-65535 (mode {im.mode})")
        return a.astype(np.uint16)[..., None]
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA" if ("transparency" in im.info or im.mode == "PA") else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    elif im.mode not in _PIL_MODE_OF_CHANNELS.values():
        im = im.convert("RGBA" if "A" in im.mode else "RGB")
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) from the header, without decoding the pixels."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF orientations that swap the axes
                h, w = w, h
            return h, w
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageError(f"{path}: cannot read image ({e})") from None


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an H x W x C uint8/uint16 array as PNG, atomically."""
    path = Path(path)
    if image.ndim != 3 or image.shape[2] not in _PIL_MODE_OF_CHANNELS or image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"cannot write array of shape {image.shape} and dtype {image.dtype} as PNG")

    def write(f) -> None:
        if image.dtype == np.uint8:
            Image.fromarray(np.ascontiguousarray(image.squeeze(2) if image.shape[2] == 1 else image),
                            _PIL_MODE_OF_CHANNELS[image.shape[2]]).save(f, format="PNG")
        else:
            f.write(_encode_png16(image))

    atomic_write(path, write)


def to_float(image: np.ndarray) -> np.ndarray:
    """Integer image -> float32 in [0, 1]."""
    return image.astype(np.float32) / float(np.iinfo(image.dtype).max)


def from_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float in [0, 1] -> rounded integer image of `dtype`."""
    peak = float(np.iinfo(dtype).max)
    return np.clip(np.rint(x * peak), 0, peak).astype(dtype)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """H x W x C -> (colour channels, alpha or None)."""
    if image.shape[2] in (2, 4):
        return image[..., :-1], image[..., -1:]
    return image, None


# --- 16-bit colour PNG: Pillow reads these as 8-bit RGB, so they get their own small codec ---------------------

def _encode_png16(image: np.ndarray) -> bytes:
    h, w, c = image.shape
    rows = image.astype(">u2").reshape(h, w * c * 2 // 2).view(np.uint8).reshape(h, w * c * 2)
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # PNG "Up" filter: uint8 arithmetic wraps modulo 256 as the format wants
    raw = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1).tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 16, _COLOR_TYPE_OF_CHANNELS[c], 0, 0, 0)
    return _PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _read_png16(path: Path) -> np.ndarray:
    data = path.read_bytes()
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise ValueError("PNG without IHDR or IDAT")
    w, h, _, color_type, _, _, interlace = header
    if interlace:
        raise ValueError("interlaced 16-bit colour PNG is not supported; re-save it without interlacing")
    c = _CHANNELS_OF_COLOR_TYPE[color_type]
    bpp, stride = 2 * c, 2 * c * w
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    if raw.size < h * (stride + 1):
        raise ValueError("truncated PNG image data")
    lines = raw[: h * (stride + 1)].reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):
        f, line = lines[y, 0], lines[y, 1:]
        if f == 0:
            cur = line.copy()
        elif f == 1:  # Sub: a running sum along each byte position of the pixel
            cur = (np.cumsum(line.reshape(w, bpp).astype(np.int64), axis=0) & 255).astype(np.uint8).ravel()
        elif f == 2:
            cur = line + prev
        elif f in (3, 4):
            cur = _unfilter_sequential(f, line, prev, bpp)
        else:
            raise ValueError(f"bad PNG filter type {f}")
        out[y] = cur
        prev = out[y]
    return out.view(">u2").reshape(h, w, c).astype(np.uint16)


def _unfilter_sequential(f: int, line: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    cur = bytearray(line.tobytes())
    up = prev.tobytes()
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = up[i]
        if f == 3:
            cur[i] = (cur[i] + ((a + b) >> 1)) & 255
        else:
            c = up[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return np.frombuffer(bytes(cur), np.uint8)
