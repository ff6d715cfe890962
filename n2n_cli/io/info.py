"""What an image file holds, read from its header, and the size checks made before any pixel is decoded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ImageError
from ..flags import flag
from ..memory import available_memory

if TYPE_CHECKING:
    from .tiffmeta import TiffLayout


@dataclass(frozen=True)
class ImageInfo:
    """What a file holds, read from its header."""

    path: Path
    format: str  # "PNG", "PNG16", "JPEG", "TIFF", "PNM" (PGM and PPM read by n2n: netpbm.py), ...
    frames: int
    height: int
    width: int
    channels: int  # as read: alpha included
    dtype: np.dtype  # uint8, uint16 or float32
    icc: bytes | None = None  # the embedded ICC colour profile, written again into the output
    exif: bytes | None = field(default=None, repr=False)  # EXIF data (TIFF-structured), written again into a PNG
    layout: TiffLayout | None = field(default=None, repr=False)  # a TIFF's shape, axes and calibration (tiffmeta.py)
    orientation: int = 1  # the EXIF orientation the pixels are turned upright by when read (exif.py); 1: none

    @property
    def is_float(self) -> bool:
        return bool(self.dtype == np.float32)

    def channel_of(self, frame: int) -> int:
        """The C index of a frame of a multichannel stack (0 for anything else)."""
        return self.layout.channel_of(frame) if self.layout is not None else 0

    def describe(self) -> str:
        stack = f"{self.frames} frames of " if self.frames > 1 else ""
        return f"{stack}{self.width}x{self.height}, {self.channels} channel(s), {np.dtype(self.dtype).name}"

    def check(self, max_pixels: int) -> ImageInfo:
        """Refuse, before decoding, an image over the pixel budget or one that cannot fit in memory."""
        check_size(self.path, self.width, self.height, max_pixels)
        pixels = self.width * self.height
        need = 3 * pixels * self.channels * max(np.dtype(self.dtype).itemsize, 4)  # decoded frame, output, float work
        avail = available_memory()
        if avail is not None and need > avail:
            raise ImageError(
                f"{self.path}: a {self.width}x{self.height} frame needs about {need / 2**30:.1f} GiB "
                f"to process and {avail / 2**30:.1f} GiB of memory is available"
            )
        return self


def check_size(path: Path, width: int, height: int, max_pixels: int) -> None:
    """Refuse a frame size with no pixels or over `max_pixels`; called as soon as a header gives the size."""
    if height < 1 or width < 1:
        raise ImageError(f"{path}: image of size {width}x{height} holds no pixels")
    pixels = width * height
    if pixels > max_pixels:
        raise ImageError(
            f"{path}: {width}x{height} is {_megapixels(pixels)} per frame, over the limit of "
            f"{_megapixels(max_pixels)} (raise it with {flag('max_pixels')} if the file is trusted and memory "
            "allows)"
        )


def _megapixels(n: int) -> str:
    return f"{n / 1e6:,.1f} MP" if n >= 100_000 else f"{n:,} pixels"


def icc_fits(icc: bytes | None, channels: int) -> bool:
    """True when an ICC profile describes images of this many channels (alpha aside): a gray profile for gray, an
    RGB one for colour. A CMYK photo is read as RGB, so its profile must not follow it."""
    return bool(icc) and len(icc or b"") >= 128 and (icc or b"")[16:20] == (b"GRAY" if channels in (1, 2) else b"RGB ")
