"""Evaluation data: (noisy, clean) sets scored against clean references, and noisy-pair sets scored by the estimate
from pairs; each from a tensor file or from image files, opened for `n2n eval` or for validation in training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from .. import defaults
from ..errors import DataError
from ..flags import Role, role_flag
from ..io import list_images, match_channels, probe, read_frame, to_float
from ..io.normalize import Normalization, Range, file_ranges
from ..io.tensors import load_tensor_pair
from ..noise import AnyNoise
from .folders import frames, image_channels, is_pair_folder, is_tensor_file, matched_pairs, pair_groups, require_dir
from .folders import subfolders
from .protocols import EvalBatch, EvalSet, PairBatch, PairSet, Ref
from .tensor_pairs import TensorEval, TensorPairSet


class FileRanges:
    """The range (io/normalize.py) of each frame of the files of a set, in its [0, 1]-by-type tensor's units: each
    file's, found once from all its frames, by the rule of the model scored."""

    def __init__(self, normalization: Normalization | None, max_pixels: int):
        self.rule, self.max_pixels = normalization or Normalization(), max_pixels
        self.files: dict[Path, list[Range]] = {}

    def __call__(self, ref: Ref) -> Range:
        path, frame = ref
        if path not in self.files:
            info = probe(path, self.max_pixels)
            peak = float(np.iinfo(info.dtype).max) if info.dtype.kind in "ui" else 1.0
            self.files = {path: [r.scaled(peak) for r in file_ranges(self.rule, info)]}  # one file kept at a time
        return self.files[path][frame]


class FileEval:
    """Image files: (noisy, clean) frame pairs, or clean frames with seeded synthetic noise (noisy == clean ref)."""

    def __init__(self, items: list[tuple[Ref, Ref]], channels: int, name: str, noise: AnyNoise | None = None,
                 noise_seed: int = defaults.VAL_NOISE_SEED, max_pixels: int = defaults.MAX_PIXELS,
                 normalization: Normalization | None = None):
        self.items, self.channels, self.name, self.noise, self.noise_seed = items, channels, name, noise, noise_seed
        self.max_pixels = max_pixels
        self.ranges = FileRanges(normalization, max_pixels)

    def __len__(self) -> int:
        return len(self.items)

    def batches(self) -> Iterator[EvalBatch]:
        for k, (noisy_ref, clean_ref) in enumerate(self.items):
            c, dtype = _load(clean_ref, self.channels, self.max_pixels)
            ranges = None
            if self.noise is not None:
                n, bits = self.noise(c, torch.Generator().manual_seed(self.noise_seed + k)), 8  # synthetic: 8-bit
            else:
                n, _ = _load(noisy_ref, self.channels, self.max_pixels)
                bits, ranges = _bits(dtype), [self.ranges(noisy_ref)]
                if n.shape != c.shape:
                    raise DataError(f"{noisy_ref[0]}: size {n.shape[-1]}x{n.shape[-2]} differs from its clean image "
                                    f"{clean_ref[0]} ({c.shape[-1]}x{c.shape[-2]})")
            ref = noisy_ref if self.noise is None else clean_ref
            yield EvalBatch([_label(ref, ref[0].name, self.max_pixels)], n, c, bits, ranges)


class FilePairs(PairSet):
    """Pairs of frames of image files, one pair per batch."""

    def __init__(self, items: list[tuple[Ref, Ref]], channels: int, name: str, max_pixels: int = defaults.MAX_PIXELS,
                 normalization: Normalization | None = None):
        self.items, self.channels, self.name, self.max_pixels = items, channels, name, max_pixels
        self.ranges = FileRanges(normalization, max_pixels)

    def __len__(self) -> int:
        return len(self.items)

    def batches(self) -> Iterator[PairBatch]:
        for ra, rb in self.items:
            a, dtype = _load(ra, self.channels, self.max_pixels)
            b, _ = _load(rb, self.channels, self.max_pixels)
            if a.shape != b.shape:
                raise DataError(f"{ra[0]}: size {a.shape[-1]}x{a.shape[-2]} differs from its partner {rb[0]} "
                                f"({b.shape[-1]}x{b.shape[-2]})")
            names = f"{_label(ra, str(ra[0]), self.max_pixels)} + {_label(rb, str(rb[0]), self.max_pixels)}"
            yield PairBatch([names], a, b, _bits(dtype), [self.ranges(ra)])


def _load(ref: Ref, channels: int, max_pixels: int) -> tuple[torch.Tensor, np.dtype]:
    """A frame as a 1 x C x H x W float tensor in [0, 1], and the file's sample type."""
    img = read_frame(*ref, max_pixels=max_pixels)
    return torch.from_numpy(to_float(match_channels(img, channels))).permute(2, 0, 1)[None], img.dtype


def _bits(dtype: np.dtype) -> int:
    """The bit depth an output is scored at: what a file of this sample type stores."""
    return 16 if dtype == np.uint16 else 32 if dtype == np.float32 else 8


def _label(ref: Ref, name: str, max_pixels: int) -> str:
    return name + (f"[{ref[1]}]" if probe(ref[0], max_pixels).frames > 1 else "")


def _frame_pairs(noisy: Path, clean: Path, max_pixels: int) -> list[tuple[Ref, Ref]]:
    """Every frame of a noisy file against its clean file: the same frame of a stack of as many frames, or the one
    clean image."""
    fn, fc = probe(noisy, max_pixels).frames, probe(clean, max_pixels).frames
    if fc not in (1, fn):
        raise DataError(f"{clean}: {fc} frames, but its noisy file {noisy} has {fn}; a clean reference has one frame "
                        "or one per noisy frame")
    return [((noisy, k), (clean, k if fc == fn else 0)) for k in range(fn)]


def open_eval_set(data: str | Path, clean: str | Path | None = None, noise: AnyNoise | None = None,
                  noise_seed: int = defaults.VAL_NOISE_SEED, role: Role = "eval",
                  max_pixels: int = defaults.MAX_PIXELS, normalization: Normalization | None = None) -> EvalSet:
    """A tensor file (noisy, clean); a noisy folder + `clean` folder matched by name (or DIR/<scene>/ captures +
    CLEAN/<scene>/ reference); or a clean folder + `noise`. `role` says whose options the messages name;
    `normalization`: the rule of the model scored, for the noisy files' ranges."""
    data = Path(data)
    clean_flag, noise_flag = role_flag(role, "clean"), role_flag(role, "noise")
    if is_tensor_file(data):
        if noise is not None or clean is not None:
            raise DataError(f"{data}: a tensor-pair file already holds (noisy, clean); {noise_flag} and {clean_flag} "
                            "are for folders")
        a, b = load_tensor_pair(data, mmap=False)
        return TensorEval(a, b, str(data))
    require_dir(data, "images")
    if noise is not None:
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found")
        refs = [r for p in images for r in frames(p, max_pixels)]
        return FileEval([(r, r) for r in refs], image_channels(probe(images[0], max_pixels)), str(data), noise,
                        noise_seed, max_pixels, normalization)
    if clean is None:
        raise DataError(f"{data}: a folder needs its references: {clean_flag} CLEAN_DIR (matched by name), "
                        f"{noise_flag} to add synthetic noise to clean images, or {role_flag(role, 'pairs')} to "
                        "estimate quality from noisy pairs")
    clean = Path(clean)
    require_dir(clean, "clean images")
    scenes = subfolders(data)
    if scenes and not list_images(data):
        items = []
        for d in scenes:
            references = list_images(clean / d.name) if (clean / d.name).is_dir() else []
            if len(references) != 1:
                raise DataError(f"{clean / d.name}: expected exactly one clean reference image for scene {d.name}, "
                                f"found {len(references)}")
            items += [pair for p in list_images(d) for pair in _frame_pairs(p, references[0], max_pixels)]
    else:
        items = [pair for a, b in matched_pairs(data, clean, role_flag(role, "data"), clean_flag)
                 for pair in _frame_pairs(a, b, max_pixels)]
    if not items:
        raise DataError(f"{data}: no images found")
    return FileEval(items, image_channels(probe(items[0][1][0], max_pixels)), str(data), max_pixels=max_pixels,
                    normalization=normalization)


def open_pair_set(data: str | Path, target: str | Path | None = None, role: Role = "eval",
                  max_pixels: int = defaults.MAX_PIXELS, normalization: Normalization | None = None) -> PairSet:
    """Noisy pairs from any source `n2n train --data` takes as pairs: a (noisy_1, noisy_2) tensor file, DIR/<scene>/
    captures, a folder of TIFF stacks, or a folder + `target` folder paired by name. A scene's captures pair up in
    order, (1st, 2nd), (3rd, 4th), ...: each capture in one pair at most, so every pair's noise is independent."""
    data = Path(data)
    target_flag = role_flag(role, "target")
    if is_tensor_file(data):
        if target is not None:
            raise DataError(f"{data}: a tensor-pair file already holds its pairs; {target_flag} is for folders")
        a, b = load_tensor_pair(data, mmap=False)
        return TensorPairSet(a, b, str(data))
    groups = pair_groups(data, target, role_flag(role, "data"), target_flag, max_pixels)
    items = [(g[k], g[k + 1]) for g in groups for k in range(0, len(g) - 1, 2)]
    return FilePairs(items, image_channels(probe(items[0][0][0], max_pixels)), str(data), max_pixels, normalization)


def open_val_set(data: str | Path, clean: str | Path | None = None, noise: AnyNoise | None = None,
                 target: str | Path | None = None, pairs: bool = False,
                 max_pixels: int = defaults.MAX_PIXELS, normalization: Normalization | None = None) -> EvalSet | PairSet:
    """Validation data for training: noisy pairs when asked (`pairs`, `target`) or when the data can only be pairs
    (DIR/<scene>/ captures or TIFF stacks with no clean references and no noise); otherwise as `n2n eval` reads it."""
    if pairs or target is not None:
        if clean is not None or noise is not None:
            raise DataError(f"{data}: {role_flag('val', 'pairs')} and {role_flag('val', 'target')} take noisy pairs; "
                            f"{role_flag('val', 'clean')} and {role_flag('val', 'noise')} are for clean references")
        return open_pair_set(data, target, "val", max_pixels, normalization)
    if clean is None and noise is None and is_pair_folder(data, max_pixels):
        return open_pair_set(data, None, "val", max_pixels, normalization)
    return open_eval_set(data, clean, noise, role="val", max_pixels=max_pixels, normalization=normalization)
