"""Pillow's formats: 8-bit PNG, JPEG, BMP, WebP, GIF, and 16-bit gray PNG. EXIF rotation is applied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import ImageError
from .exif import exif_block
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
    if mode in MODE_OF_CHANNELS.values():
        return None, len(mode), np.dtype(np.uint8)
    if mode in ("P", "PA"):
        alpha = mode == "PA" or "transparency" in im.info
        return ("RGBA" if alpha else "RGB"), 4 if alpha else 3, np.dtype(np.uint8)
    if mode == "1":
        return "L", 1, np.dtype(np.uint8)
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return "RGB", 3, np.dtype(np.uint8)
    if mode in ("RGBa", "La"):
        return ("RGBA" if mode == "RGBa" else "LA"), len(mode), np.dtype(np.uint8)
    raise ValueError(f"unsupported image mode {mode}")


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation, read without decoding: Pillow's getexif() decodes a whole PNG to look for an eXIf chunk
    after the pixels, so for PNG only one before them counts (in probe and read alike)."""
    if im.format == "PNG":
        if not im.info.get("exif"):
            return 1
        exif = Image.Exif()
        exif.load(im.info["exif"])
        return int(exif.get(0x0112, 1))
    return int(im.getexif().get(0x0112, 1))


def probe_pil(path: Path, max_pixels: int) -> ImageInfo:
    with Image.open(path) as im:
        w, h = im.size
        check_size(path, w, h, max_pixels)  # before n_frames and EXIF, which may decode pixels (GIF frames, PNG)
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            raise ImageError(
                f"{path}: an animated {im.format} with {frames} frames; n2n denoises still images and "
                "TIFF stacks: save the frames as a multi-page TIFF"
            )
        if _orientation(im) in (5, 6, 7, 8):  # EXIF orientations that swap the axes
            h, w = w, h
        _, channels, dtype = _target(im)
        exif = exif_block(im.info.get("exif"))  # for PNG: an eXIf chunk before the pixels, as in _orientation
        icc = im.info.get("icc_profile") or None
        return ImageInfo(path, im.format or "image", 1, h, w, channels, dtype, icc, exif=exif)


def read_pil(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        if _orientation(im) != 1:  # rotate per EXIF; skipped otherwise, as it copies the image
            im = ImageOps.exif_transpose(im)
        convert, _, dtype = _target(im)
        if convert:
            im = im.convert(convert)
        a = np.asarray(im)
    if im.mode == "I" and a.size and (a.min() < 0 or a.max() > 65535):
        raise ValueError("32-bit integer image with values outside 0-65535")
    a = a.astype(dtype, copy=False)
    return a[..., None] if a.ndim == 2 else a
