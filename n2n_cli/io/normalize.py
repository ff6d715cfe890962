"""Intensity normalization: a file's samples -> the network's working range [0, 1], and back. One rule for `train`,
`eval`, `denoise` and `export`, recorded in each checkpoint's config.

- 8-bit images: x / 255, as n2n always did.
- Every other sample type (16-bit and other integers, float): a robust range per file, (lo, hi) = the `low` and
  `high` percentiles of its samples over all its frames (a regular subsample of the pixels, for speed), so a
  camera's offset and 12-bit data in 16-bit files reach the network in its working range.
- Except colour photos: a file of three channels of unsigned integers (16-bit TIFF or PNG from a raw converter) whose
  high percentile reaches `photo` (defaults.NORM_PHOTO: a quarter) of its type's maximum is mapped by its type's
  range, as 8-bit files are: stretching a photo that leaves part of its range unused shows the network its noise
  stronger than it is, which the default model takes less of (experiments/photo16.py); 12- and 14-bit sensor data in
  16-bit files never reach a quarter of it.
- x' = (x - lo) / (hi - lo). The network sees clamp(x', 0, 1), and what lies outside [0, 1] passes through unchanged:
  y = net(clamp(x')) + (x' - clamp(x')), output = y (hi - lo) + lo (inference/denoiser.py). Bright structures above
  the high percentile survive; nothing is clipped that was not clipped in the input.

Mode "type" is n2n 0.2's rule (integers / their type's maximum; float as it is, or by its minimum and maximum when
outside [0, 1]), kept to measure what the percentiles change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import defaults
from .info import ImageInfo
from .pixels import split_alpha

MODES = ("percentile", "type")


@dataclass(frozen=True)
class Range:
    """The samples that map to 0 and 1 of the network's range, in the units of the data they apply to."""

    lo: float
    hi: float

    @property
    def span(self) -> float:
        return self.hi - self.lo

    def scaled(self, peak: float) -> Range:
        """The same range for data divided by `peak` (a file's samples -> its [0, 1]-by-type tensor)."""
        return Range(self.lo / peak, self.hi / peak)


UNIT = Range(0.0, 1.0)  # data already in the network's range: nothing changes


@dataclass(frozen=True)
class Normalization:
    mode: str = "percentile"
    low: float = defaults.NORM_LOW  # percentile mapped to 0
    high: float = defaults.NORM_HIGH  # percentile mapped to 1
    photo: float | None = defaults.NORM_PHOTO  # colour integer files reaching this share of their type: by type

    def __post_init__(self) -> None:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (self.low, self.high))
        if self.mode not in MODES or not numbers or not 0 <= self.low < self.high <= 100:
            raise ValueError(
                f"mode {self.mode!r}, low {self.low!r}, high {self.high!r}: the mode is one of {', '.join(MODES)}, "
                "and the percentiles are numbers with 0 <= low < high <= 100"
            )
        share = self.photo
        if share is not None and (not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share <= 1):
            raise ValueError(f"photo {share!r}: a share of the type's maximum, 0 < photo <= 1, or null (never)")

    def record(self) -> dict[str, Any]:
        """What a checkpoint's config records."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: Any, strict: bool = False) -> Normalization:
        """The rule a checkpoint (or an exported graph) recorded; older ones, which record none, take the default.
        A record that is not a valid rule raises ValueError (with `strict`, so does one that is not a dict)."""
        if not isinstance(record, dict):
            if strict and record is not None:
                raise ValueError(f"{type(record).__name__} {str(record)[:40]!r} is not a rule (a dict)")
            return cls()
        try:
            return cls(**{k: record[k] for k in ("mode", "low", "high", "photo") if k in record})
        except TypeError as e:  # a string where a number goes, compared
            raise ValueError(str(e)) from None

    def range_of(self, frames: Iterable[np.ndarray], count: int = 1) -> Range:
        """The range of a file from its `count` frames (H x W x C, alpha dropped by the caller; one sample type),
        read once, one at a time: a stack need not fit in memory."""
        values, lo, hi, dtype, channels = [], np.inf, -np.inf, np.dtype(np.uint8), 0
        for f in frames:
            dtype, channels = f.dtype, f.shape[-1]
            if dtype == np.uint8:
                return Range(0.0, 255.0)
            values.append(sample_values(f, defaults.NORM_SAMPLES // max(count, 1)))
            if f.size:
                lo, hi = min(lo, float(f.min())), max(hi, float(f.max()))
        if self.mode == "type":
            return _type_range(dtype, lo, hi)
        rng = self.range_from(np.concatenate(values) if values else np.zeros(0), dtype)
        return _type_range(dtype, lo, hi) if self.is_photo(dtype, channels, rng) else rng

    def is_photo(self, dtype: np.dtype, channels: int, rng: Range) -> bool:
        """Whether a file of `channels` channels of `dtype`, whose percentile range is `rng`, is a colour photo,
        mapped by its type's range (see above)."""
        if self.photo is None or channels != 3 or np.dtype(dtype).kind != "u":
            return False
        return rng.hi >= self.photo * float(np.iinfo(dtype).max)

    def range_from(self, values: np.ndarray, dtype: np.dtype) -> Range:
        """The range from a subsample of a file's values (`sample_values`), for a file of sample type `dtype`."""
        if dtype == np.uint8:
            return Range(0.0, 255.0)
        if not values.size:
            return Range(0.0, 1.0)
        lo, hi = (float(v) for v in np.percentile(values, (self.low, self.high)))
        if hi <= lo:  # most samples equal (a flat field, a mostly black frame): the whole range of the values
            lo, hi = float(values.min()), float(values.max())
        if hi <= lo:  # a constant image: any range keeps it; the type's, or one unit above it for float
            lo, hi = (0.0, float(np.iinfo(dtype).max)) if np.dtype(dtype).kind in "iu" else (lo, lo + 1.0)
        return Range(lo, hi)


def sample_values(frame: np.ndarray, budget: int) -> np.ndarray:
    """About `budget` samples of an H x W x C frame, on a regular grid of rows and columns (all channels). float64,
    1-D."""
    h, w, c = frame.shape
    step = max(1, int(np.sqrt(h * w * c / max(budget, 1))))
    return np.asarray(frame[::step, ::step], dtype=np.float64).ravel()


def _type_range(dtype: np.dtype, lo: float, hi: float) -> Range:
    """n2n 0.2: integers by their type's maximum; float as it is, or by its minimum and maximum outside [0, 1]."""
    if dtype.kind in "iu":
        return Range(0.0, float(np.iinfo(dtype).max))
    if not np.isfinite(lo) or (lo >= 0 and hi <= 1):
        return UNIT
    return Range(lo, hi if hi > lo else lo + 1.0)


def file_ranges(rule: Normalization, info: ImageInfo) -> list[Range]:
    """The range of each frame of a file, in its samples' units: the file's, from all its frames; for a stack with
    a C axis, each channel's own (a microscopy stack's channels are separate images, often of very different
    brightness). Frames are read one at a time."""
    from .reader import read_frame

    if info.dtype == np.uint8:
        return [Range(0.0, 255.0)] * info.frames
    groups: dict[int, list[int]] = {}
    for k in range(info.frames):
        groups.setdefault(info.channel_of(k), []).append(k)
    by_channel = {
        c: rule.range_of((split_alpha(read_frame(info.path, k, info))[0] for k in ks), len(ks))
        for c, ks in groups.items()
    }
    return [by_channel[info.channel_of(k)] for k in range(info.frames)]
