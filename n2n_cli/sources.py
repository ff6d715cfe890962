"""Where data comes from: the user's path (and options) -> a training source or an evaluation set.

Training sources (`TensorPairs`, `PatchSource`) share one protocol: `name`, `channels`, `size` (H x W of what they
yield), `len()`, `start(device, batch, workers)` and `epoch(order, seed)` yielding batches: (input, target), or
(image,) for single noisy images. Evaluation sets (`TensorEval`, `FileEval`) share another: `name`, `channels`,
`len()` and `batches()` yielding `EvalBatch`es; pair sets (`TensorPairSet`, `FilePairs`) the same, yielding
`PairBatch`es of two noisy captures. Files are addressed as (file, frame), so TIFF stacks are captures or evaluation
images like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np
import torch

from . import defaults
from .imageio import ImageInfo, list_images, match_channels, probe, read_frame, split_alpha, to_float
from .noise import AnyNoise
from .patches import PatchPairs, PatchSource, Ref
from .synthetic import PairRecipe
from .tensorfile import DataError, TensorPairs, load_tensor_pair, to_unit


class TrainSource(Protocol):
    name: str
    channels: int
    size: tuple[int, int]  # H x W of the images it yields (crops' size for image folders)

    def __len__(self) -> int: ...

    def start(self, device: torch.device, batch: int, workers: int) -> None: ...

    def epoch(self, order: torch.Tensor, seed: int) -> Iterator[Sequence[torch.Tensor]]: ...


@dataclass
class EvalBatch:
    names: list[str]
    noisy: torch.Tensor  # N x C x H x W in [0, 1]
    clean: torch.Tensor  # the reference, same shape
    bits: int  # bit depth the output is scored at (what the output file stores)


class EvalSet(Protocol):
    name: str
    channels: int

    def __len__(self) -> int: ...

    def batches(self) -> Iterator[EvalBatch]: ...


# --- checks and listings ------------------------------------------------------------------------------------------

def require_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such folder")
    if not path.is_dir():
        raise DataError(f"{path}: expected a folder of {what}")


def _subfolders(root: Path) -> list[Path]:
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))


def _channels(info: ImageInfo) -> int:
    return 3 if info.channels >= 3 else 1


def _frames(path: Path) -> list[Ref]:
    return [(path, k) for k in range(probe(path).frames)]


def _is_tensor_file(path: Path) -> bool:
    return path.suffix.lower() in defaults.TENSOR_SUFFIXES or path.is_file()


def scene_groups(root: Path) -> list[list[Ref]]:
    """`root/<scene>/` folders, each with two or more captures of one scene (single images or stack frames)."""
    scenes = _subfolders(root)
    groups = [[r for p in list_images(d) for r in _frames(p)] for d in scenes]
    few = [d.name for d, g in zip(scenes, groups) if len(g) < 2]
    if few:
        raise DataError(f"{root}: scene folder(s) {', '.join(few[:5])} hold fewer than two captures")
    return groups


def matched_pairs(a_dir: Path, b_dir: Path, a_flag: str = "DATA", b_flag: str = "--clean") -> list[tuple[Path, Path]]:
    """Files of two folders paired by file name (stem); any name without a partner is an error."""
    require_dir(a_dir, "images")
    require_dir(b_dir, "images")
    a = {p.stem: p for p in list_images(a_dir)}
    b = {p.stem: p for p in list_images(b_dir)}
    if not a:
        raise DataError(f"{a_dir}: no images found")
    lone_a, lone_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if lone_a or lone_b:
        parts = [f"{len(lone_a)} in {a_dir} ({a_flag}) without a partner in {b_flag} (e.g. {lone_a[0]})"] if lone_a else []
        parts += [f"{len(lone_b)} in {b_dir} ({b_flag}) without a partner in {a_flag} (e.g. {lone_b[0]})"] if lone_b else []
        raise DataError("pair names do not match: " + "; ".join(parts))
    return [(a[k], b[k]) for k in sorted(a)]


# --- training -----------------------------------------------------------------------------------------------------

def open_train_source(data: str | Path, target: str | Path | None = None, recipe: PairRecipe | None = None,
                      patch: int = defaults.PATCH_SIZE, mmap: bool = True, single: bool = False,
                      channels: int | None = None) -> TrainSource:
    """Pick the source from what `data` is: a tensor-pair file; DIR/<scene>/ captures; a folder of TIFF stacks (each
    stack one scene's captures); a noisy folder + `target` folder; a clean folder + a `recipe` for noise; or, with
    `single`, single noisy images: a folder (every frame one image, no pairs) or a tensor file (one tensor, or a
    pair file's first). Image folders are read as `channels` channels when given (the model's: gray replicated to
    RGB, RGB averaged to gray), else as their first image's; a tensor file always has its own."""
    data = Path(data)
    if _is_tensor_file(data):
        if recipe is not None or target is not None:
            raise DataError(f"{data}: a tensor file already holds its images; --noise and --target are for folders")
        return TensorPairs.open(data, mmap=mmap, single=single)
    require_dir(data, "images or scene folders")
    if single:
        if recipe is not None or target is not None:
            raise DataError(f"{data}: --single trains from one noisy image at a time; --noise and --target make pairs")
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found (--single takes the noisy images directly in the folder)")
        return _patch_source(data, [[r] for p in images for r in _frames(p)], patch, None, channels, single=True)
    if target is None and recipe is not None:
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found (clean images go directly in the folder)")
        return _patch_source(data, [[r] for p in images for r in _frames(p)], patch, recipe, channels)
    hint = ", --noise (e.g. gaussian:25) to synthesise them from clean images, or --single to train from one noisy " \
           "image each"
    return _patch_source(data, pair_groups(data, target, "--data", hint), patch, None, channels)


def pair_groups(data: Path, target: str | Path | None = None, data_flag: str = "DATA", hint: str = "") \
        -> list[list[Ref]]:
    """The captures of each scene in a folder source: `data` + `target` folders paired by name; DIR/<scene>/
    captures; or a folder of TIFF stacks, each stack one scene. Anything else has no pairs: an error (+ `hint`)."""
    require_dir(data, "images or scene folders")
    if target is not None:
        return [[(a, 0), (b, 0)] for a, b in matched_pairs(data, Path(target), data_flag, "--target")]
    images = list_images(data)
    if _subfolders(data) and not images:
        return scene_groups(data)
    stacks = [p for p in images if probe(p).frames > 1]
    if images and len(stacks) == len(images):
        return [_frames(p) for p in stacks]
    if not images:
        raise DataError(f"{data}: no images found")
    raise DataError(f"{data}: a folder of single images has no pairs: use DIR/<scene>/ captures, a folder of TIFF "
                    f"stacks, or --target B_DIR for matching noisy images{hint}")


def is_pair_folder(data: str | Path) -> bool:
    """A folder that can only mean noisy pairs: DIR/<scene>/ captures, or TIFF stacks only."""
    data = Path(data)
    if not data.is_dir() or _is_tensor_file(data):
        return False
    images = list_images(data)
    if not images:
        return bool(_subfolders(data))
    return all(probe(p).frames > 1 for p in images)


def _patch_source(data: Path, groups: list[list[Ref]], patch: int, recipe: PairRecipe | None,
                  channels: int | None = None, single: bool = False) -> PatchSource:
    if not groups:
        raise DataError(f"{data}: no images found")
    channels = channels or _channels(probe(groups[0][0][0]))
    return PatchSource(str(data), PatchPairs(groups, patch, channels, recipe, single))


# --- evaluation ---------------------------------------------------------------------------------------------------

class TensorEval:
    """A (noisy, clean) tensor-pair file, scored in chunks."""

    def __init__(self, noisy: torch.Tensor, clean: torch.Tensor, name: str, chunk: int = 1000):
        self.noisy, self.clean, self.name, self.chunk = noisy, clean, name, chunk
        self.channels = noisy.shape[1]

    def __len__(self) -> int:
        return len(self.noisy)

    def batches(self) -> Iterator[EvalBatch]:
        for i in range(0, len(self.noisy), self.chunk):
            n, c = self.noisy[i:i + self.chunk], self.clean[i:i + self.chunk]
            yield EvalBatch([f"#{i + k}" for k in range(len(n))], to_unit(n), to_unit(c), 8)


class FileEval:
    """Image files: (noisy, clean) frame pairs, or clean frames with seeded synthetic noise (noisy == clean ref)."""

    def __init__(self, items: list[tuple[Ref, Ref]], channels: int, name: str, noise: AnyNoise | None = None,
                 noise_seed: int = defaults.VAL_NOISE_SEED):
        self.items, self.channels, self.name, self.noise, self.noise_seed = items, channels, name, noise, noise_seed

    def __len__(self) -> int:
        return len(self.items)

    def batches(self) -> Iterator[EvalBatch]:
        for k, (noisy_ref, clean_ref) in enumerate(self.items):
            c, dtype = _load(clean_ref, self.channels)
            if self.noise is not None:
                n, bits = self.noise(c, torch.Generator().manual_seed(self.noise_seed + k)), 8  # synthetic: 8-bit
            else:
                n, _ = _load(noisy_ref, self.channels)
                bits = _bits(dtype)
                if n.shape != c.shape:
                    raise DataError(f"{noisy_ref[0]}: size {n.shape[-1]}x{n.shape[-2]} differs from its clean image "
                                    f"{clean_ref[0]} ({c.shape[-1]}x{c.shape[-2]})")
            ref = noisy_ref if self.noise is None else clean_ref
            yield EvalBatch([_label(ref, ref[0].name)], n, c, bits)


def _load(ref: Ref, channels: int) -> tuple[torch.Tensor, np.dtype]:
    """A frame as a 1 x C x H x W float tensor in [0, 1], and the file's sample type."""
    img = read_frame(*ref)
    return torch.from_numpy(to_float(match_channels(img, channels))).permute(2, 0, 1)[None], img.dtype


def _bits(dtype: np.dtype) -> int:
    """The bit depth an output is scored at: what a file of this sample type stores."""
    return 16 if dtype == np.uint16 else 32 if dtype == np.float32 else 8


def _label(ref: Ref, name: str) -> str:
    return name + (f"[{ref[1]}]" if probe(ref[0]).frames > 1 else "")


def _frame_pairs(noisy: Path, clean: Path) -> list[tuple[Ref, Ref]]:
    """Every frame of a noisy file against its clean file: the same frame of a stack of as many frames, or the one
    clean image."""
    fn, fc = probe(noisy).frames, probe(clean).frames
    if fc not in (1, fn):
        raise DataError(f"{clean}: {fc} frames, but its noisy file {noisy} has {fn}; a clean reference has one frame "
                        "or one per noisy frame")
    return [((noisy, k), (clean, k if fc == fn else 0)) for k in range(fn)]


def open_eval_set(data: str | Path, clean: str | Path | None = None, noise: AnyNoise | None = None,
                  noise_seed: int = defaults.VAL_NOISE_SEED, clean_flag: str = "--clean",
                  noise_flag: str = "--noise", pairs_flag: str = "--pairs") -> EvalSet:
    """A tensor file (noisy, clean); a noisy folder + `clean` folder matched by name (or DIR/<scene>/ captures +
    CLEAN/<scene>/ reference); or a clean folder + `noise`. The flags name the options of the command at hand."""
    data = Path(data)
    if _is_tensor_file(data):
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
        refs = [r for p in images for r in _frames(p)]
        return FileEval([(r, r) for r in refs], _channels(probe(images[0])), str(data), noise, noise_seed)
    if clean is None:
        raise DataError(f"{data}: a folder needs its references: {clean_flag} CLEAN_DIR (matched by name), "
                        f"{noise_flag} to add synthetic noise to clean images, or {pairs_flag} to estimate quality "
                        "from noisy pairs")
    clean = Path(clean)
    require_dir(clean, "clean images")
    scenes = _subfolders(data)
    if scenes and not list_images(data):
        items = []
        for d in scenes:
            refs = list_images(clean / d.name) if (clean / d.name).is_dir() else []
            if len(refs) != 1:
                raise DataError(f"{clean / d.name}: expected exactly one clean reference image for scene {d.name}, "
                                f"found {len(refs)}")
            items += [pair for p in list_images(d) for pair in _frame_pairs(p, refs[0])]
    else:
        items = [pair for a, b in matched_pairs(data, clean, "DATA", clean_flag) for pair in _frame_pairs(a, b)]
    if not items:
        raise DataError(f"{data}: no images found")
    return FileEval(items, _channels(probe(items[0][1][0])), str(data))


# --- noisy pairs, for quality estimated without a clean image -----------------------------------------------------

@dataclass
class PairBatch:
    names: list[str]
    first: torch.Tensor  # N x C x H x W in [0, 1]: the model's input
    second: torch.Tensor  # another capture of the same scene, the same shape
    bits: int  # bit depth the output is scored at


class PairSet:
    """Noisy pairs (x1, x2) of one scene each: `name`, `channels`, `len()` and `batches()` yielding PairBatches."""

    name: str
    channels: int

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self) -> Iterator[PairBatch]:
        raise NotImplementedError


class TensorPairSet(PairSet):
    """A (noisy_1, noisy_2) tensor file, read in chunks."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, name: str, chunk: int = 1000):
        self.a, self.b, self.name, self.chunk, self.channels = a, b, name, chunk, a.shape[1]

    def __len__(self) -> int:
        return len(self.a)

    def batches(self) -> Iterator[PairBatch]:
        for i in range(0, len(self.a), self.chunk):
            a, b = self.a[i:i + self.chunk], self.b[i:i + self.chunk]
            yield PairBatch([f"#{i + k}" for k in range(len(a))], to_unit(a), to_unit(b), 8)


class FilePairs(PairSet):
    """Pairs of frames of image files, one pair per batch."""

    def __init__(self, items: list[tuple[Ref, Ref]], channels: int, name: str):
        self.items, self.channels, self.name = items, channels, name

    def __len__(self) -> int:
        return len(self.items)

    def batches(self) -> Iterator[PairBatch]:
        for ra, rb in self.items:
            a, dtype = _load(ra, self.channels)
            b, _ = _load(rb, self.channels)
            if a.shape != b.shape:
                raise DataError(f"{ra[0]}: size {a.shape[-1]}x{a.shape[-2]} differs from its partner {rb[0]} "
                                f"({b.shape[-1]}x{b.shape[-2]})")
            yield PairBatch([f"{_label(ra, str(ra[0]))} + {_label(rb, str(rb[0]))}"], a, b, _bits(dtype))


def open_pair_set(data: str | Path, target: str | Path | None = None, data_flag: str = "DATA") -> PairSet:
    """Noisy pairs from any source `n2n train --data` takes as pairs: a (noisy_1, noisy_2) tensor file, DIR/<scene>/
    captures, a folder of TIFF stacks, or a folder + `target` folder paired by name. A scene's captures pair up in
    order, (1st, 2nd), (3rd, 4th), ...: each capture in one pair at most, so every pair's noise is independent."""
    data = Path(data)
    if _is_tensor_file(data):
        if target is not None:
            raise DataError(f"{data}: a tensor-pair file already holds its pairs; --target is for folders")
        a, b = load_tensor_pair(data, mmap=False)
        return TensorPairSet(a, b, str(data))
    groups = pair_groups(data, target, data_flag)
    items = [(g[k], g[k + 1]) for g in groups for k in range(0, len(g) - 1, 2)]
    return FilePairs(items, _channels(probe(items[0][0][0])), str(data))


def open_val_set(data: str | Path, clean: str | Path | None = None, noise: AnyNoise | None = None,
                 target: str | Path | None = None, pairs: bool = False) -> EvalSet | PairSet:
    """Validation data for training: noisy pairs when asked (`pairs`, `target`) or when the data can only be pairs
    (DIR/<scene>/ captures or TIFF stacks with no clean references and no noise); otherwise as `n2n eval` reads it."""
    if pairs or target is not None:
        if clean is not None or noise is not None:
            raise DataError(f"{data}: --val-pairs and --val-target take noisy pairs; --val-clean and --val-noise are "
                            "for clean references")
        return open_pair_set(data, target, "--val")
    if clean is None and noise is None and is_pair_folder(data):
        return open_pair_set(data, None, "--val")
    return open_eval_set(data, clean, noise, clean_flag="--val-clean", noise_flag="--val-noise",
                         pairs_flag="--val-pairs")
