"""Reading any image file n2n takes: the codec is chosen from the file's first bytes, the header is checked against
the pixel budget before any pixel is decoded, and any decoder failure becomes one ImageError line naming the file."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from types import TracebackType
from typing import Literal

import numpy as np
from PIL import UnidentifiedImageError

from .. import defaults
from ..errors import ImageError, shorten
from .info import ImageInfo, check_size
from .netpbm import SIGNATURES as NETPBM_SIGNATURES
from .netpbm import probe_netpbm, read_netpbm
from .pillow import probe_pil, read_pil
from .png import SIGNATURE as PNG_SIGNATURE
from .png import png_exif, png_header, probe_png16, read_png16
from .regular import open_regular
from .tiff import SIGNATURES as TIFF_SIGNATURES
from .tiff import probe_tiff, read_tiff_frame


def probe(path: str | Path, max_pixels: int = defaults.MAX_PIXELS) -> ImageInfo:
    """Read a file's header: its frames, size, channels and dtype. Raises ImageError for anything n2n cannot read,
    or for a frame over `max_pixels` or over the memory available."""
    path = Path(path)
    if path.suffix.lower() in defaults.RAW_SUFFIXES:
        raise ImageError(
            f"{path}: a camera raw file; n2n reads developed images: export it as TIFF (16 bits keep its levels), "
            "PNG or JPEG first"
        )
    with _Errors(path):
        kind = _sniff(path)
        if kind == "TIFF":
            info = probe_tiff(path)
        elif kind == "PNG16":
            info = probe_png16(path)
        elif kind == "NETPBM":
            info = probe_netpbm(path, max_pixels)
        else:
            exif = None
            if kind == "PNG":  # Pillow refuses an empty PNG as "unidentified"; say what is wrong with it
                w, h, _, _ = png_header(path)
                check_size(path, w, h, max_pixels)
                exif = png_exif(path)  # wherever the chunk lies, as for 16-bit PNG
            info = probe_pil(path, max_pixels, exif)
        return info.check(max_pixels)


def read_frame(
    path: str | Path, frame: int = 0, info: ImageInfo | None = None, max_pixels: int = defaults.MAX_PIXELS
) -> np.ndarray:
    """Frame `frame` of a file as H x W x C (uint8, uint16 or float32); `info`: its probe, if already made."""
    path = Path(path)
    info = info or probe(path, max_pixels)
    if not 0 <= frame < info.frames:
        raise ImageError(f"{path}: no frame {frame} (the file has {info.frames})")
    with _Errors(path):
        if info.format == "TIFF":
            img = read_tiff_frame(path, frame, info)
        elif info.format == "PNG16":
            img = read_png16(path, info.orientation)
        elif info.format == "PNM":
            img = read_netpbm(path)
        else:
            img = read_pil(path, info.orientation)
        if img.shape != (info.height, info.width, info.channels):
            raise ValueError(
                f"decoded {img.shape[1]}x{img.shape[0]}x{img.shape[2]}, but the header says "
                f"{info.width}x{info.height}x{info.channels}"
            )
        if img.dtype.kind == "f" and not np.isfinite(img).all():
            raise ImageError(f"{path}: frame {frame} holds NaN or infinite values")
        return img


def read_image(path: str | Path, max_pixels: int = defaults.MAX_PIXELS) -> np.ndarray:
    """A single-frame image file as H x W x C. A stack is refused: its frames are read with read_frame."""
    info = probe(path, max_pixels)
    if info.frames > 1:
        raise ImageError(f"{path}: a stack of {info.frames} frames where one image was expected")
    return read_frame(path, 0, info)


def _sniff(path: Path) -> str:
    with open_regular(path, ImageError, "image file") as f:  # a FIFO would block the run: refused here
        head = f.read(33)
    if head[:4] in TIFF_SIGNATURES:
        return "TIFF"
    if head[:8] == PNG_SIGNATURE:
        return "PNG16" if len(head) >= 26 and head[12:16] == b"IHDR" and head[24] == 16 else "PNG"
    if head[:2] in NETPBM_SIGNATURES:
        return "NETPBM"
    return "PIL"


class _Errors:
    """Turn any decoder failure into one ImageError line naming the file; warnings and log records from codecs
    (tifffile logs what it finds wrong in a file) stay quiet: the error says it once."""

    _quiet_loggers = ("tifffile", "PIL")

    def __init__(self, path: Path):
        self.path = path
        self.warnings = warnings.catch_warnings()
        self.loggers: list[tuple[logging.Logger, bool]] = []

    def __enter__(self) -> None:
        self.warnings.__enter__()
        warnings.simplefilter("ignore")
        self.loggers = [(lg, lg.disabled) for lg in map(logging.getLogger, self._quiet_loggers)]
        for lg, _ in self.loggers:
            lg.disabled = True

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        self.warnings.__exit__(kind, e, tb)
        for lg, disabled in self.loggers:
            lg.disabled = disabled
        if e is None or isinstance(e, (ImageError, KeyboardInterrupt)) or not isinstance(e, Exception):
            return False
        if isinstance(e, FileNotFoundError):
            raise ImageError(f"{self.path}: no such file") from None
        if isinstance(e, IsADirectoryError):
            raise ImageError(f"{self.path}: a folder, not an image file") from None
        if isinstance(e, MemoryError):
            raise ImageError(f"{self.path}: out of memory while decoding") from None
        if isinstance(e, UnidentifiedImageError) and self.path.suffix.lower() in defaults.CODEC_SUFFIXES:
            raise ImageError(
                f"{self.path}: a {self.path.suffix[1:].upper()} image, which this install's Pillow cannot decode: "
                "save it as JPEG, PNG or TIFF first"
            ) from None
        if isinstance(e, UnidentifiedImageError):
            raise ImageError(
                f"{self.path}: not an image file n2n can read (unknown format or corrupt header)"
            ) from None
        detail = shorten(str(e)) or type(e).__name__
        raise ImageError(f"{self.path}: cannot read image ({detail})") from None
