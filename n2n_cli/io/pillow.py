"""Pillow's formats: 8-bit PNG, JPEG, BMP, WebP, GIF, and 16-bit gray PNG. The EXIF orientation turns the pixels
upright (exif.py); transparency given as one colour (a tRNS chunk, a GIF's transparent index) becomes an alpha
channel, so that it survives denoising."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ImageError
from .exif import exif_block, orient, orientation
from .info import ImageInfo, check_size

Image.MAX_IMAGE_PIXELS = None  # n2n checks the pixel count itself (check_size), for every codec alike
MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _target(im: Image.Image) -> tuple[str | None, int, np.dtype]:
    """(mode to convert to or None, channels, dtype) for a Pillow image."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return None, 1, np.dtype(np.uint16)
    if mode == "I":
        return None, 1, np.dtype(np.uint16)  # values checked after decoding
    if mode == "F":
        return None, 1, np.dtype(np.float32)
    if mode in ("L", "RGB") and "transparency" in im.info:  # one colour is transparent: an alpha channel says so
        return mode + "A", len(mode) + 1, np.dtype(np.uint8)
    if mode in MODE_OF_CHANNELS.values():
        return None, len(mode), np.dtype(np.uint8)
    if mode in ("P", "PA"):
        alpha = mode == "PA" or "transparency" in im.info
        return ("RGBA" if alpha else "RGB"), 4 if alpha else 3, np.dtype(np.uint8)
    if mode == "1":
        alpha = "transparency" in im.info
        return ("LA" if alpha else "L"), 2 if alpha else 1, np.dtype(np.uint8)
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return "RGB", 3, np.dtype(np.uint8)
    if mode in ("RGBa", "La"):
        return ("RGBA" if mode == "RGBa" else "LA"), len(mode), np.dtype(np.uint8)
    raise ValueError(f"unsupported image mode {mode}")


def _orientation(im: Image.Image, exif: bytes | None) -> int:
    """The orientation the pixels are shown in: the EXIF block's tag (exif.py, the one the output's is reset from);
    without one, what Pillow finds elsewhere (a JPEG's XMP), but for PNG, where Pillow would decode the image to
    look."""
    value = orientation(exif)
    if value is None and im.format != "PNG":
        try:
            value = int(im.getexif().get(0x0112, 1))
        except (TypeError, ValueError):
            value = 1
    return value if value is not None and 1 <= value <= 8 else 1


def probe_pil(path: Path, max_pixels: int, exif: bytes | None = None) -> ImageInfo:
    """The header of a Pillow format; `exif`: the EXIF block when the caller read it (a PNG's eXIf chunk, wherever it
    lies), else the one Pillow found."""
    with Image.open(path) as im:
        w, h = im.size
        check_size(path, w, h, max_pixels)  # before n_frames and EXIF, which may decode pixels (GIF frames, PNG)
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            raise ImageError(
                f"{path}: an animated {im.format} with {frames} frames; n2n denoises still images and "
                "TIFF stacks: save the frames as a multi-page TIFF"
            )
        exif = exif if exif is not None else exif_block(im.info.get("exif"))
        turn = _orientation(im, exif)
        if turn in (5, 6, 7, 8):  # EXIF orientations that swap the axes
            h, w = w, h
        _, channels, dtype = _target(im)
        icc = im.info.get("icc_profile") or None
        return ImageInfo(path, im.format or "image", 1, h, w, channels, dtype, icc, exif=exif, orientation=turn)


def read_pil(path: Path, turn: int = 1) -> np.ndarray:
    """The pixels as H x W x C, turned by EXIF orientation `turn` (the probe's)."""
    with Image.open(path) as im:
        convert, _, dtype = _target(im)
        if convert:
            im = im.convert(convert)
        a = np.asarray(im)
    if im.mode == "I" and a.size and (a.min() < 0 or a.max() > 65535):
        raise ValueError("32-bit integer image with values outside 0-65535")
    a = a.astype(dtype, copy=False)
    return np.ascontiguousarray(orient(a[..., None] if a.ndim == 2 else a, turn))
