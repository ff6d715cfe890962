"""JPEG output through Pillow: 8-bit gray or RGB, full-resolution chroma (4:4:4: denoising must not blur colour
edges that the photo had), at a quality of defaults.JPEG_QUALITY unless told, with the input's colour profile and
EXIF data (its orientation reset to upright, since n2n writes the pixels already rotated)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .. import defaults
from .atomic import Rule, atomic_write
from .exif import HEADER, upright
from .info import ImageInfo, icc_fits

SUFFIXES = (".jpg", ".jpeg")


def jpeg_refusal(info: ImageInfo) -> str | None:
    """Why JPEG cannot hold what the file holds (None: it can): JPEG stores one 8-bit gray or RGB frame."""
    if info.frames > 1:
        return f"a stack of {info.frames} frames, which a JPEG cannot hold (one image)"
    if info.dtype != np.uint8:
        bits = "a float image" if info.is_float else f"{8 * np.dtype(info.dtype).itemsize}-bit"
        return f"{bits}, which a JPEG cannot hold (8 bits); denoising to JPEG would lose levels"
    if info.channels in (2, 4):
        return "an image with an alpha channel, which a JPEG cannot hold"
    return None


def write_jpeg(
    path: str | Path,
    image: np.ndarray,
    icc: bytes | None = None,
    exif: bytes | None = None,
    quality: int = defaults.JPEG_QUALITY,
    rule: Rule | None = None,
) -> None:
    """Write an H x W x 1 or 3 uint8 array as a JPEG (4:4:4), atomically (a file there replaced as `rule` allows),
    with `icc` when it fits the channels and `exif` (TIFF-structured) with its orientation reset to upright (left out
    when its orientation cannot be reset)."""
    from PIL import Image

    if image.ndim != 3 or image.shape[2] not in (1, 3) or image.dtype != np.uint8:
        raise ValueError(f"cannot write array of shape {image.shape} and dtype {image.dtype} as JPEG")
    pic = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
    options: dict[str, object] = {"quality": quality, "subsampling": 0, "optimize": True}
    if icc_fits(icc, image.shape[2]):
        options["icc_profile"] = icc
    block = upright(exif) if exif else None
    if block:
        options["exif"] = HEADER + block
    buf = io.BytesIO()
    pic.save(buf, "JPEG", **options)
    atomic_write(path, lambda f: f.write(buf.getvalue()), rule)
