"""Tensor files: loaded safely (tensors and plain values only, never code), and the course's tensor-pair format,
`(a, b)` saved with torch.save, two N x C x H x W tensors, uint8 0-255 or float in [0, 1]. As training data
`(noisy_1, noisy_2)`; as evaluation data `(noisy, clean)`. For training from single noisy images (`--single`), a file
of one such tensor, or a pair file whose first tensor is then used alone."""

from __future__ import annotations

import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from ..errors import DataError, UserError, shorten
from .regular import check_regular, open_regular


def safe_load(path: Path, what: str, error: type[UserError], mmap: bool = False) -> Any:
    """torch.load with weights_only=True: tensors and plain containers only, never code. Errors name the file in
    one line and never suggest loading unsafely."""
    try:
        with open_regular(path, error, what) as f:  # a FIFO would block: refused in one line
            head = f.read(4)
        if not (head == b"PK\x03\x04" or head[:1] == b"\x80"):  # torch.save's zip format, or its legacy pickle
            raise error(
                f"{path}: not a readable {what}: "
                + ("an empty file" if not head else "not a file written by torch.save")
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
            except RuntimeError as e:
                if not mmap or "mmap" not in str(e):
                    raise
                return torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except pickle.UnpicklingError as e:
        if "GLOBAL" not in str(e):  # broken pickle data, not a refused object (a class or function to import)
            raise error(f"{path}: not a readable {what} (corrupt pickle data)") from None
        raise error(
            f"{path}: refused to load: not a plain {what} (it holds Python objects that loading would "
            "run, and n2n loads only tensors and plain values)"
        ) from None
    except (
        RuntimeError,
        EOFError,
        zipfile.BadZipFile,
        OSError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        UnicodeDecodeError,
        MemoryError,
    ) as e:
        detail = shorten(str(e)) or type(e).__name__
        raise error(f"{path}: not a readable {what} ({detail})") from None


def load_tensor_pair(path: str | Path, mmap: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Load and check a tensor-pair file. Never unpickles code (weights_only=True). With `mmap` the file is mapped
    rather than read, so a file larger than memory can be trained on; torch's legacy format is read whole."""
    path, obj = _load(path, mmap)
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and all(torch.is_tensor(t) for t in obj)):
        raise DataError(
            f"{path}: expected a tuple of two tensors (noisy_1, noisy_2) or (noisy, clean), got {type(obj).__name__}"
        )
    a, b = obj
    for name, t in (("first", a), ("second", b)):
        _check_images(path, name, t)
    if a.shape != b.shape:
        raise DataError(f"{path}: the two tensors differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    return a, b


def load_tensor_images(path: str | Path, mmap: bool = True) -> torch.Tensor:
    """Single noisy images from a tensor file: one N x C x H x W tensor, or the first tensor of a pair file (the
    second capture is then not used), checked as `load_tensor_pair` checks each of its tensors."""
    path, obj = _load(path, mmap)
    if isinstance(obj, (tuple, list)) and len(obj) == 2 and all(torch.is_tensor(t) for t in obj):
        obj = obj[0]
    if not torch.is_tensor(obj):
        raise DataError(
            f"{path}: expected one N x C x H x W tensor of noisy images, or a tuple of two (the first "
            f"is used), got {type(obj).__name__}"
        )
    _check_images(path, "the", obj)
    if min(obj.shape[2:]) < 2:
        raise DataError(
            f"{path}: the images are {obj.shape[3]}x{obj.shape[2]}; single-image training samples 2 x 2 "
            "cells, so it needs at least 2 x 2"
        )
    return obj


def _load(path: str | Path, mmap: bool) -> tuple[Path, object]:
    path = Path(path)
    check_regular(path, DataError, "tensor file")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return path, safe_load(path, "tensor file", DataError, mmap=mmap)


def _check_images(path: Path, name: str, t: torch.Tensor) -> None:
    """N x C x H x W, C 1 or 3, uint8 or float in [0, 1], at least one image of at least 1 x 1."""
    if t.ndim != 4 or t.shape[1] not in (1, 3):
        raise DataError(f"{path}: {name} tensor has shape {tuple(t.shape)}, expected N x C x H x W with C = 1 or 3")
    if not (t.dtype == torch.uint8 or t.is_floating_point()):
        raise DataError(f"{path}: {name} tensor has dtype {t.dtype}, expected uint8 (0-255) or float in [0, 1]")
    if t.shape[2] < 1 or t.shape[3] < 1:
        raise DataError(f"{path}: {name} tensor has images of size {t.shape[3]}x{t.shape[2]}")
    if len(t) == 0:
        raise DataError(f"{path}: {name} tensor holds no images")
    if t.is_floating_point():
        _check_float_values(path, name, t)


def _check_float_values(path: Path, name: str, t: torch.Tensor, chunk: int = 4096) -> None:
    """Float tensors must be finite and in [0, 1]; a float file holding 0-255 values is told apart and named."""
    lo, hi = float("inf"), float("-inf")
    for i in range(0, len(t), chunk):  # in chunks, so a memory-mapped file is not read into memory at once
        part = t[i : i + chunk]
        if not torch.isfinite(part).all():
            raise DataError(f"{path}: {name} tensor holds NaN or infinite values")
        lo, hi = min(lo, part.min().item()), max(hi, part.max().item())
    if lo < 0 or hi > 1:
        if lo >= 0 and hi <= 255:
            raise DataError(
                f"{path}: {name} tensor is float with values up to {hi:g}: it looks like 0-255 data "
                "saved as float; save it as uint8 (t.round().to(torch.uint8)) or divide it by 255"
            )
        raise DataError(
            f"{path}: {name} tensor is float with values from {lo:g} to {hi:g}; float tensors must be "
            "in [0, 1] (or save uint8 in 0-255)"
        )


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 0-255 -> float in [0, 1]; float is taken as already in [0, 1]."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
