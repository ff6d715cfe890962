"""Files in and out: images by codec (PNG, TIFF, the formats Pillow reads), tensor files, atomic writes and the
checks that keep an output from replacing an input.

An image frame is an H x W x C numpy array with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), of dtype
uint8, uint16 or float32 (float keeps its own range). A file holds one frame, or several (a multi-page TIFF: a
microscopy stack, a time series), addressed as (file, frame). Every read is checked against a pixel budget
(`max_pixels`, passed by the caller) from the header before any pixel is decoded.
"""

from .atomic import WriteError, atomic_save, atomic_write, atomic_write_bytes, check_writable
from .info import ImageInfo, check_size, icc_fits
from .jpeg import jpeg_refusal, write_jpeg
from .listing import list_images
from .paths import NAME_MAX, check_output, fit_name, same_file
from .pixels import from_float, match_channels, split_alpha, to_float
from .png import write_png
from .reader import probe, read_frame, read_image
from .tiff import write_tiff

__all__ = [
    "NAME_MAX",
    "ImageInfo",
    "WriteError",
    "atomic_save",
    "atomic_write",
    "atomic_write_bytes",
    "check_output",
    "check_writable",
    "check_size",
    "fit_name",
    "from_float",
    "icc_fits",
    "jpeg_refusal",
    "list_images",
    "match_channels",
    "probe",
    "read_frame",
    "read_image",
    "same_file",
    "split_alpha",
    "to_float",
    "write_jpeg",
    "write_png",
    "write_tiff",
]
