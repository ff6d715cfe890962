"""What a denoised TIFF keeps of its input: the series' shape, axes and sample type, its calibration (resolution and
unit tags, ImageJ metadata: axes, spacing, unit, frame interval, labels, ranges; OME-XML, kept as it is), its
compression, and what its samples mean with its descriptive tags (tifflook.py), read when the input is probed and
handed to the writer (tiff.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tifflook import TiffLook

# tifffile writes these ImageJ keys itself, from the shape and axes; the rest of the metadata is passed back
IMAGEJ_DERIVED = ("ImageJ", "images", "channels", "slices", "frames", "hyperstack")
RESOLUTION_TAGS = (282, 283)  # XResolution, YResolution
LOSSLESS = (1, 5, 8, 32773, 32946, 50000)  # none, LZW, Adobe deflate, PackBits, deflate, zstd: kept as they are
ZLIB = 8  # what lossy or unknown compressions become (a denoised image must not lose more on writing)


@dataclass(frozen=True)
class TiffLayout:
    kind: str  # "imagej", "ome", "shaped" (tifffile's JSON) or "pages" (one page per frame, no shape metadata)
    shape: tuple[int, ...]  # the series' shape: the frame axes, then Y, X (and S, the samples of a pixel)
    axes: str  # e.g. "TZCYX"; one letter per dimension of `shape`
    dtype: str  # the file's own sample type (int16, uint32, float64...), which the output keeps
    compression: int = 1
    bigtiff: bool = False
    resolution: tuple[float, float] | None = None  # pixels per unit along X, Y, when the file has the tags
    resolution_unit: int | None = None
    imagej: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    ome: str | None = field(default=None, compare=False, hash=False)
    look: TiffLook | None = field(default=None, compare=False, hash=False)  # photometric, extra samples, tags

    @property
    def frame_axes(self) -> tuple[str, tuple[int, ...]]:
        """The axes that make frames (all but Y, X and S) and their sizes, outermost first."""
        kept = [(a, n) for a, n in zip(self.axes, self.shape) if a not in "YXS"]
        return "".join(a for a, _ in kept), tuple(n for _, n in kept)

    def channel_of(self, frame: int) -> int:
        """The C index of a frame (0 without a C axis): the channels of a microscopy stack are normalized apart."""
        axes, sizes = self.frame_axes
        if "C" not in axes:
            return 0
        return int(np.unravel_index(frame, sizes)[axes.index("C")])


def read_layout(tif: Any, series: list[Any]) -> TiffLayout:
    """The layout of an open tifffile.TiffFile whose image is `series` (one, or several of one frame shape)."""
    s, page = series[0], tif.pages[0]
    res = None
    if all(t in page.tags for t in RESOLUTION_TAGS):
        res = tuple(float(v) for v in page.resolution)
    common = {
        "dtype": np.dtype(s.dtype).name,
        "compression": int(page.compression) if int(page.compression) in LOSSLESS else ZLIB,
        "bigtiff": bool(tif.is_bigtiff),
        "resolution": res,
        "resolution_unit": int(page.resolutionunit) if res is not None else None,
    }
    size = dict(zip(s.axes, s.shape))
    # frames are written as H x W (x S) pages: samples stored apart (planar) come back interleaved
    axes = "".join(a for a in s.axes if a != "S") + ("S" if "S" in size else "")
    shape = tuple(size[a] for a in axes)
    if len(series) == 1 and tif.is_imagej and tif.imagej_metadata is not None:
        meta = {k: v for k, v in tif.imagej_metadata.items() if k not in IMAGEJ_DERIVED}
        return TiffLayout("imagej", shape, axes, imagej=meta, **common)
    if len(series) == 1 and tif.is_ome and tif.ome_metadata and len(tif.series) == 1:
        return TiffLayout("ome", shape, axes, ome=tif.ome_metadata, **common)
    if len(series) == 1 and tif.is_shaped:
        return TiffLayout("shaped", shape, axes, **common)
    frames = sum(int(np.prod([n for a, n in zip(p.axes, p.shape) if a not in "YXS"], dtype=np.int64)) for p in series)
    yxs = "YX" + ("S" if "S" in size else "")
    return TiffLayout("pages", (frames, *(size[a] for a in yxs)), "I" + yxs, **common)


def pages(frames: Iterator[np.ndarray], layout: TiffLayout, counter: list[int]) -> Iterator[np.ndarray]:
    """H x W x C frames -> the pages tifffile writes for `layout`, in the file's own sample type; `counter[0]`
    counts them."""
    dtype = np.dtype(layout.dtype)
    samples = "S" in layout.axes
    for img in frames:
        if dtype.kind in "iu" and img.dtype != dtype:
            info = np.iinfo(dtype)
            img = np.clip(img, max(info.min, 0), info.max)
        page = img.astype(dtype, copy=False)
        counter[0] += 1
        yield page if samples else page[..., 0]


def write_args(layout: TiffLayout) -> dict[str, Any]:
    """tifffile's TiffWriter.write arguments that give a file of `layout` (but the data, photometric and ICC)."""
    args: dict[str, Any] = {"shape": layout.shape, "dtype": np.dtype(layout.dtype)}
    if layout.resolution is not None:
        args.update(resolution=layout.resolution, resolutionunit=layout.resolution_unit)
    if layout.kind == "imagej":
        args["metadata"] = {**(layout.imagej or {}), "axes": layout.axes}
    elif layout.kind == "ome":  # the input's OME-XML, as it is: same pages in the same order, same sizes and type
        args.update(description=(layout.ome or "").encode("utf-8"), metadata=None)
        args["shape"] = (int(np.prod(layout.frame_axes[1], dtype=np.int64)), *_frame_shape(layout))
    elif layout.kind == "shaped":
        args["metadata"] = {"axes": layout.axes} if "Q" not in layout.axes else {}
    else:
        args["metadata"] = None
    if layout.compression != 1:
        args["compression"] = layout.compression
    return args


def _frame_shape(layout: TiffLayout) -> tuple[int, ...]:
    return tuple(n for a, n in zip(layout.axes, layout.shape) if a in "YXS")
