"""Image files in and out, in their own shape: frames, channels, bit depth and range are kept.

An image frame is an H x W x C numpy array with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), of dtype
uint8, uint16 or float32 (float keeps its own range). A file holds one frame, or several (a multi-page TIFF: a
microscopy stack, a time series), addressed as (file, frame).

Codecs: Pillow for 8-bit formats and 16-bit gray; imagecodecs (libpng) for 16-bit PNG, which Pillow cannot hold in
colour; tifffile for TIFF (stacks, 16-bit, float, compressed). Every read is checked against a pixel budget from
the header before any pixel is decoded, so a small file that would decode to gigabytes is refused, not run out of
memory on. Writes are atomic (temp file, then rename).
"""

from __future__ import annotations

import logging
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import defaults
from .atomic import atomic_write
from .errors import UserError

Image.MAX_IMAGE_PIXELS = None  # n2n checks the pixel count itself (ImageInfo.check), for every codec alike
_limit = {"max_pixels": defaults.MAX_PIXELS}


def set_pixel_limit(max_pixels: int) -> None:
    """The most pixels per frame this process decodes (the CLI's --max-pixels)."""
    _limit["max_pixels"] = int(max_pixels)


def pixel_limit() -> int:
    return _limit["max_pixels"]


_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_TIFF_SIGS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_PIL_MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
_TIFF_ICC_TAG = 34675  # InterColorProfile


class ImageError(UserError):
    """A file that cannot be read or written as an image; the message names the file and the problem."""


@dataclass(frozen=True)
class ImageInfo:
    """What a file holds, read from its header."""

    path: Path
    format: str  # "PNG", "JPEG", "TIFF", ...
    frames: int
    height: int
    width: int
    channels: int  # as read: alpha included
    dtype: np.dtype  # uint8, uint16 or float32
    icc: bytes | None = None  # the embedded ICC colour profile, written again into the output

    @property
    def is_float(self) -> bool:
        return self.dtype == np.float32

    def describe(self) -> str:
        stack = f"{self.frames} frames of " if self.frames > 1 else ""
        return f"{stack}{self.width}x{self.height}, {self.channels} channel(s), {np.dtype(self.dtype).name}"

    def check(self) -> "ImageInfo":
        """Refuse, before decoding, an image over the pixel budget or one that cannot fit in memory."""
        check_size(self.path, self.width, self.height)
        pixels = self.width * self.height
        need = 3 * pixels * self.channels * max(np.dtype(self.dtype).itemsize, 4)  # decoded frame, output, float work
        avail = _available_memory()
        if avail is not None and need > avail:
            raise ImageError(f"{self.path}: a {self.width}x{self.height} frame needs about {need / 2**30:.1f} GiB "
                             f"to process and {avail / 2**30:.1f} GiB of memory is available")
        return self


def check_size(path: Path, width: int, height: int) -> None:
    """Refuse a frame size with no pixels or over the pixel budget; called as soon as a header gives the size."""
    max_pixels = _limit["max_pixels"]
    if height < 1 or width < 1:
        raise ImageError(f"{path}: image of size {width}x{height} holds no pixels")
    pixels = width * height
    if pixels > max_pixels:
        raise ImageError(f"{path}: {width}x{height} is {_megapixels(pixels)} per frame, over the limit of "
                         f"{_megapixels(max_pixels)} (raise it with --max-pixels if the file is trusted and memory "
                         "allows)")


def _megapixels(n: int) -> str:
    return f"{n / 1e6:,.1f} MP" if n >= 100_000 else f"{n:,} pixels"


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def probe(path: str | Path) -> ImageInfo:
    """Read a file's header: its frames, size, channels and dtype. Raises ImageError for anything n2n cannot read."""
    path = Path(path)
    with _errors(path):
        kind = _sniff(path)
        if kind == "TIFF":
            info = _probe_tiff(path)
        elif kind == "PNG16":
            info = _probe_png16(path)
        else:
            if kind == "PNG":  # Pillow refuses an empty PNG as "unidentified"; say what is wrong with it
                w, h, _, _ = _png_header(path)
                check_size(path, w, h)
            info = _probe_pil(path)
        return info.check()


def read_frame(path: str | Path, frame: int = 0, info: ImageInfo | None = None) -> np.ndarray:
    """Frame `frame` of a file as H x W x C (uint8, uint16 or float32); `info`: its probe, if already made."""
    path = Path(path)
    info = info or probe(path)
    if not 0 <= frame < info.frames:
        raise ImageError(f"{path}: no frame {frame} (the file has {info.frames})")
    with _errors(path):
        if info.format == "TIFF":
            img = _read_tiff_frame(path, frame, info)
        elif info.format == "PNG16":
            img = _read_png16(path)
        else:
            img = _read_pil(path)
        if img.shape != (info.height, info.width, info.channels):
            raise ValueError(f"decoded {img.shape[1]}x{img.shape[0]}x{img.shape[2]}, but the header says "
                             f"{info.width}x{info.height}x{info.channels}")
        if img.dtype.kind == "f" and not np.isfinite(img).all():
            raise ImageError(f"{path}: frame {frame} holds NaN or infinite values")
        return img


def read_image(path: str | Path) -> np.ndarray:
    """A single-frame image file as H x W x C. A stack is refused: its frames are read with read_frame."""
    info = probe(path)
    if info.frames > 1:
        raise ImageError(f"{path}: a stack of {info.frames} frames where one image was expected")
    return read_frame(path, 0, info)


class _errors:
    """Turn any decoder failure into one ImageError line naming the file; warnings and log records from codecs
    (tifffile logs what it finds wrong in a file) stay quiet: the error says it once."""

    _quiet_loggers = ("tifffile", "PIL")

    def __init__(self, path: Path):
        self.path = path
        self.warnings = warnings.catch_warnings()

    def __enter__(self):
        self.warnings.__enter__()
        warnings.simplefilter("ignore")
        self.loggers = [(lg, lg.disabled) for lg in map(logging.getLogger, self._quiet_loggers)]
        for lg, _ in self.loggers:
            lg.disabled = True

    def __exit__(self, kind, e, tb) -> bool:
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
        if isinstance(e, UnidentifiedImageError):
            raise ImageError(f"{self.path}: not an image file n2n can read (unknown format or corrupt header)") \
                from None
        detail = " ".join(str(e).split())[:160] or type(e).__name__
        raise ImageError(f"{self.path}: cannot read image ({detail})") from None


def _sniff(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(33)
    if head[:4] in _TIFF_SIGS:
        return "TIFF"
    if head[:8] == _PNG_SIG:
        return "PNG16" if len(head) >= 26 and head[12:16] == b"IHDR" and head[24] == 16 else "PNG"
    return "PIL"


# --- Pillow: 8-bit formats, 16-bit gray PNG ----------------------------------------------------------------------

def _pil_target(im: Image.Image) -> tuple[str | None, int, np.dtype]:
    """(mode to convert to or None, channels, dtype) for a Pillow image."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return None, 1, np.dtype(np.uint16)
    if mode == "I":
        return None, 1, np.dtype(np.uint16)  # values checked after decoding
    if mode == "F":
        return None, 1, np.dtype(np.float32)
    if mode in _PIL_MODE_OF_CHANNELS.values():
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
        return exif.get(0x0112, 1)
    return im.getexif().get(0x0112, 1)


def _probe_pil(path: Path) -> ImageInfo:
    with Image.open(path) as im:
        w, h = im.size
        check_size(path, w, h)  # before n_frames and EXIF, which may decode pixels (GIF frames, PNG)
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            raise ImageError(f"{path}: an animated {im.format} with {frames} frames; n2n denoises still images and "
                             "TIFF stacks: save the frames as a multi-page TIFF")
        if _orientation(im) in (5, 6, 7, 8):  # EXIF orientations that swap the axes
            h, w = w, h
        _, channels, dtype = _pil_target(im)
        return ImageInfo(path, im.format or "image", 1, h, w, channels, dtype, im.info.get("icc_profile") or None)


def _read_pil(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        if _orientation(im) != 1:  # rotate per EXIF; skipped otherwise, as it copies the image
            im = ImageOps.exif_transpose(im)
        convert, _, dtype = _pil_target(im)
        if convert:
            im = im.convert(convert)
        a = np.asarray(im)
    if im.mode == "I" and a.size and (a.min() < 0 or a.max() > 65535):
        raise ValueError("32-bit integer image with values outside 0-65535")
    a = a.astype(dtype, copy=False)
    return a[..., None] if a.ndim == 2 else a


# --- 16-bit PNG: imagecodecs (libpng) ------------------------------------------------------------------------------

def _png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk, which the format puts first."""
    with open(path, "rb") as f:
        head = f.read(33)
    if len(head) < 33 or head[:8] != _PNG_SIG or head[12:16] != b"IHDR":
        raise ValueError("truncated or malformed PNG header")
    w, h, depth, color = struct.unpack(">IIBB", head[16:26])
    if zlib.crc32(head[12:29]) & 0xFFFFFFFF != struct.unpack(">I", head[29:33])[0]:
        raise ValueError("corrupt PNG header (bad IHDR checksum)")
    return w, h, depth, color


def _probe_png16(path: Path) -> ImageInfo:
    w, h, _, color = _png_header(path)
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(color)
    if channels is None:
        raise ValueError(f"bad PNG colour type {color} for 16 bits")
    return ImageInfo(path, "PNG16", 1, h, w, channels, np.dtype(np.uint16), _png_icc(path))


def _png_icc(path: Path) -> bytes | None:
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
            icc = z.decompress(data[name_end + 2:], defaults.ICC_MAX_BYTES)
            if z.unconsumed_tail:
                raise ValueError(f"ICC profile over {defaults.ICC_MAX_BYTES // 2**20} MiB")
            return icc or None


def _read_png16(path: Path) -> np.ndarray:
    import imagecodecs

    try:
        a = imagecodecs.png_decode(path.read_bytes())
    except (imagecodecs.PngError, UnicodeDecodeError):  # libpng's own text arrives garbled at times: not shown
        raise ValueError("corrupt PNG (libpng refused its chunks or data)") from None
    if a.dtype != np.uint16:
        raise ValueError(f"16-bit PNG decoded as {a.dtype}")
    return a[..., None] if a.ndim == 2 else a


# --- TIFF: tifffile ------------------------------------------------------------------------------------------------

def _tiff_layout(series) -> tuple[int, int, int, int, str]:
    """(frames, height, width, channels, axes) of a tifffile series: every axis but Y, X and samples (S) is a frame
    axis (pages, Z, T, C, ...), so a multichannel microscopy stack is denoised one channel image at a time."""
    axes, shape = series.axes, series.shape
    if "Y" not in axes or "X" not in axes:
        raise ValueError(f"TIFF layout {axes} has no Y and X axes")
    size = dict(zip(axes, shape))
    channels = size.get("S", 1)
    frames = int(np.prod([n for a, n in zip(axes, shape) if a not in "YXS"], dtype=np.int64))
    return frames, size["Y"], size["X"], channels, axes


def _tiff_dtype(dtype: np.dtype) -> np.dtype:
    if dtype in (np.uint8, np.uint16):
        return np.dtype(dtype)
    if dtype.kind == "f":
        return np.dtype(np.float32)
    if dtype.kind in "iu" and dtype.itemsize <= 4:
        return np.dtype(np.uint16)  # 32-bit or signed integers: values checked to fit 0-65535 on reading
    raise ValueError(f"unsupported sample type {dtype}")


def _tiff_parts(tif, path: Path) -> list[tuple[object, int]]:
    """(series, frame count) for each image series of a TIFF, all of one frame shape and sample type: a file written
    page by page (tifffile.imwrite(..., append=True)) holds one series per page, and is read as one stack. Series
    that differ (a thumbnail beside the image, unrelated images) cannot be one stack and are refused."""
    if not tif.series:
        raise ValueError("no image in the TIFF")
    parts, kinds = [], []
    for s in tif.series:
        frames, h, w, c, _ = _tiff_layout(s)
        parts.append((s, frames))
        kinds.append((w, h, c, np.dtype(s.dtype)))
    if len(set(kinds)) > 1:
        sizes = ", ".join(f"{w}x{h}x{c} {d.name}" for w, h, c, d in kinds[:4]) + (", ..." if len(kinds) > 4 else "")
        raise ImageError(f"{path}: {len(kinds)} images of different sizes or types ({sizes}); n2n reads a TIFF as "
                         "one image or one stack of equal frames: save each image in a file of its own")
    return parts


def _probe_tiff(path: Path) -> ImageInfo:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        parts = _tiff_parts(tif, path)
        s = parts[0][0]
        _, h, w, channels, _ = _tiff_layout(s)
        if channels > 4:
            raise ImageError(f"{path}: {channels} samples per pixel; n2n reads 1 to 4 (gray, RGB, alpha)")
        if s.dtype == np.bool_:
            raise ImageError(f"{path}: a 1-bit (black and white) TIFF has no noise to remove")
        frames = sum(n for _, n in parts)
        icc = tif.pages[0].tags.get(_TIFF_ICC_TAG)
        icc = bytes(icc.value) if icc is not None and isinstance(icc.value, (bytes, bytearray)) and icc.value else None
        return ImageInfo(path, "TIFF", frames, h, w, channels, _tiff_dtype(np.dtype(s.dtype)), icc)


def _read_tiff_frame(path: Path, frame: int, info: ImageInfo) -> np.ndarray:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        for s, count in _tiff_parts(tif, path):  # the series that holds this frame
            if frame < count:
                break
            frame -= count
        _, h, w, c, axes = _tiff_layout(s)
        pages = s.pages if hasattr(s, "pages") else []
        page = pages[frame] if len(pages) == count and pages[frame] is not None else None
        if page is not None and page.shape in ((h, w), (h, w, c), (c, h, w)):
            a = page.asarray()
            if a.shape == (c, h, w) and c > 1 and (h, w) != (c, h):  # planar samples
                a = np.moveaxis(a, 0, -1)
        else:  # layouts whose frames are not one page each (ImageJ contiguous stacks)
            offset = getattr(s, "dataoffset", None)
            if offset is not None:  # stored contiguous and uncompressed: map it, so only this frame is read
                a = np.memmap(path, dtype=np.dtype(s.dtype).newbyteorder(tif.byteorder), mode="r", offset=offset,
                              shape=tuple(s.shape))
            else:
                a = s.asarray()
            order = [i for i, ax in enumerate(axes) if ax not in "YXS"] + [axes.index("Y"), axes.index("X")]
            order += [axes.index("S")] if "S" in axes else []
            a = np.transpose(a, order).reshape(count, h, w, c)[frame]
    a = a.reshape(h, w, c)
    if a.dtype.kind in "iu" and a.dtype not in (np.uint8, np.uint16):
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(f"{a.dtype} samples outside 0-65535")
    return a.astype(info.dtype, copy=False)


# --- writing -------------------------------------------------------------------------------------------------------

def icc_fits(icc: bytes | None, channels: int) -> bool:
    """True when an ICC profile describes images of this many channels (alpha aside): a gray profile for gray, an
    RGB one for colour. A CMYK photo is read as RGB, so its profile must not follow it."""
    return bool(icc) and len(icc) >= 128 and icc[16:20] == (b"GRAY" if channels in (1, 2) else b"RGB ")


def _png_with_icc(png: bytes, icc: bytes) -> bytes:
    """The PNG with an iCCP chunk right after IHDR (before the pixel data, as the format asks)."""
    data = b"ICC profile\0\0" + zlib.compress(icc)
    chunk = struct.pack(">I4s", len(data), b"iCCP") + data + struct.pack(">I", zlib.crc32(b"iCCP" + data))
    return png[:33] + chunk + png[33:]


def write_png(path: str | Path, image: np.ndarray, icc: bytes | None = None) -> None:
    """Write an H x W x C uint8/uint16 array as PNG, atomically, with `icc` as its colour profile when that profile
    fits the image's channels."""
    path = Path(path)
    if image.ndim != 3 or image.shape[2] not in _PIL_MODE_OF_CHANNELS or image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"cannot write array of shape {image.shape} and dtype {image.dtype} as PNG")

    def write(f) -> None:
        import imagecodecs

        png = bytes(imagecodecs.png_encode(np.ascontiguousarray(image.squeeze(2) if image.shape[2] == 1 else image),
                                           level=defaults.PNG_LEVEL, filter=defaults.PNG_FILTER))
        f.write(_png_with_icc(png, icc) if icc_fits(icc, image.shape[2]) else png)

    atomic_write(path, write)


def write_tiff(path: str | Path, frames: Iterable[np.ndarray], icc: bytes | None = None) -> int:
    """Write H x W x C frames (one dtype and shape) as a multi-page TIFF, one page per frame, compressed losslessly,
    atomically; frames are written as they come, so a stack need not fit in memory. `icc`: the colour profile,
    kept when it fits the channels. Returns the frame count."""
    import tifffile

    count = 0

    def write(f) -> None:
        nonlocal count
        with tifffile.TiffWriter(f, bigtiff=False) as tw:
            for img in frames:
                c = img.shape[2]
                tw.write(img if c > 1 else img[..., 0], photometric="rgb" if c in (3, 4) else "minisblack",
                         extrasamples=("unassalpha",) if c in (2, 4) else None, compression="zlib",
                         contiguous=False, iccprofile=icc if icc_fits(icc, c) else None,
                         metadata=None)  # no per-page shape: readers see one series of pages
                count += 1

    atomic_write(path, write)
    return count


# --- conversions ---------------------------------------------------------------------------------------------------

def to_float(image: np.ndarray) -> np.ndarray:
    """Integer image -> float32 in [0, 1]; float images are returned as float32."""
    if image.dtype.kind == "f":
        return image.astype(np.float32, copy=False)
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


def match_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Drop alpha, then gray -> RGB by replication or RGB -> gray by averaging, to get `channels` channels."""
    img, _ = split_alpha(img)
    if img.shape[2] == channels:
        return img
    if channels == 3:
        return np.repeat(img, 3, axis=2)
    mean = img.mean(axis=2, keepdims=True, dtype=np.float32)
    return mean if img.dtype.kind == "f" else mean.round().astype(img.dtype)


# --- listing -------------------------------------------------------------------------------------------------------

def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """Image files in `folder` (by suffix; hidden files skipped), sorted."""
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.suffix.lower() in defaults.IMAGE_SUFFIXES
                  and not p.name.startswith(".") and p.is_file())
