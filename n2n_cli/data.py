"""Where pairs come from: tensor-pair files, folders of repeated captures, two matched folders, clean folders + noise.

Training sources yield pairs (input, target) of float tensors. A clean-folder source carries a `PairRecipe` that
turns each clean crop into two independent noisy copies (synthetic.py), in the loader workers.
Evaluation sources yield whole images (noisy, clean); synthetic noise there is seeded per image, so the same
command prints the same PSNR.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from . import defaults
from .errors import UserError
from .imageio import image_size, read_image, split_alpha, to_float
from .noise import Noise
from .synthetic import PairRecipe


class DataError(UserError):
    """A data file or folder that cannot be used; the message names it."""


# --- tensor-pair files (the course format) -----------------------------------------------------------------------

def load_tensor_pair(path: str | Path, mmap: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Load `(a, b)` saved with torch.save: two N x C x H x W tensors, uint8 0-255 or float in [0, 1].

    Never unpickles code (weights_only=True). With `mmap`, the file is mapped rather than read, so a file larger than
    memory can be trained on; files in torch's legacy format are read whole.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except RuntimeError as e:
            if not mmap or "mmap" not in str(e):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "unsafe content"
        raise DataError(f"{path}: refused to load: not a plain tensor file ({first})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        raise DataError(f"{path}: cannot load tensor file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and all(torch.is_tensor(t) for t in obj)):
        raise DataError(f"{path}: expected a tuple of two tensors (noisy_1, noisy_2) or (noisy, clean), "
                        f"got {type(obj).__name__}")
    a, b = obj
    for name, t in (("first", a), ("second", b)):
        if t.ndim != 4 or t.shape[1] not in (1, 3):
            raise DataError(f"{path}: {name} tensor has shape {tuple(t.shape)}, expected N x C x H x W with C = 1 or 3")
        if not (t.dtype == torch.uint8 or t.is_floating_point()):
            raise DataError(f"{path}: {name} tensor has dtype {t.dtype}, expected uint8 (0-255) or float in [0, 1]")
        if t.is_floating_point() and t.numel() and t[:256].max() > 1.0:
            raise DataError(f"{path}: {name} tensor is float with values above 1; "
                            "float tensors must be in [0, 1] (or save uint8 in 0-255)")
    if a.shape != b.shape:
        raise DataError(f"{path}: the two tensors differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    if len(a) == 0:
        raise DataError(f"{path}: the tensors hold no images")
    return a, b


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 0-255 -> float in [0, 1]; float is taken as already in [0, 1]."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()


class TensorPairs:
    """A tensor-pair file used as a whole: batches are gathered by index, on the training device when it fits."""

    def __init__(self, path: str | Path, mmap: bool = True):
        self.path = Path(path)
        self.a, self.b = load_tensor_pair(path, mmap=mmap)

    @classmethod
    def from_tensors(cls, a: torch.Tensor, b: torch.Tensor) -> "TensorPairs":
        self = cls.__new__(cls)
        self.path, self.a, self.b = Path("<tensors>"), a, b
        return self

    @property
    def channels(self) -> int:
        return self.a.shape[1]

    def __len__(self) -> int:
        return len(self.a)

    def to(self, device: torch.device) -> "TensorPairs":
        """Keep the (uint8) tensors on `device` when they take under a quarter of its memory."""
        if device.type == "cuda":
            need = self.a.numel() * self.a.element_size() * 2
            if need < torch.cuda.get_device_properties(device).total_memory // 4:
                self.a, self.b = self.a.to(device), self.b.to(device)
        return self

    def batches(self, order: torch.Tensor, batch: int, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = order.to(self.a.device)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            if self.a.device.type == "cpu":
                idx, _ = idx.sort()  # sequential reads when the file is memory-mapped
            yield (to_unit(self.a[idx]).to(device, non_blocking=True), to_unit(self.b[idx]).to(device, non_blocking=True))


# --- image folders ------------------------------------------------------------------------------------------------

def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in defaults.IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def _require_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such folder")
    if not path.is_dir():
        raise DataError(f"{path}: expected a folder of {what}")


def match_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Drop alpha, then gray -> RGB by replication or RGB -> gray by averaging, to get `channels` channels."""
    img, _ = split_alpha(img)
    if img.shape[2] == channels:
        return img
    if channels == 3:
        return np.repeat(img, 3, axis=2)
    return img.mean(axis=2, keepdims=True, dtype=np.float32).round().astype(img.dtype)


class _ImageCache:
    """Decoded images kept in memory up to a byte budget (least recently used evicted), so each file is decoded
    once per process when the folder fits, and streamed from disk when it does not."""

    def __init__(self, channels: int, budget_mb: int):
        self.channels, self.budget = channels, budget_mb * 2**20
        self.items: OrderedDict[Path, np.ndarray] = OrderedDict()
        self.used = 0

    def get(self, path: Path) -> np.ndarray:
        img = self.items.get(path)
        if img is not None:
            self.items.move_to_end(path)
            return img
        img = match_channels(read_image(path), self.channels)
        if img.nbytes <= self.budget:
            self.items[path] = img
            self.used += img.nbytes
            while self.used > self.budget:
                _, old = self.items.popitem(last=False)
                self.used -= old.nbytes
        return img


def _crop(img: np.ndarray, y: int, x: int, size: int) -> torch.Tensor:
    """C x size x size float crop; images smaller than the patch are mirror-padded."""
    c = img[y:y + size, x:x + size]
    if c.shape[0] < size or c.shape[1] < size:
        c = np.pad(c, ((0, size - c.shape[0]), (0, size - c.shape[1]), (0, 0)), mode="symmetric")
    return torch.from_numpy(to_float(np.ascontiguousarray(c))).permute(2, 0, 1)


class _FolderPatches(Dataset):
    """Random crops from groups of aligned images. Group g holds one scene: its captures, or its clean image.

    An epoch draws, for each group, as many patches as its image area holds (at least one).
    """

    def __init__(self, groups: Sequence[Sequence[Path]], patch: int, channels: int, recipe: PairRecipe | None):
        self.groups, self.patch, self.channels, self.recipe = list(groups), patch, channels, recipe
        counts = []
        for g in self.groups:
            h, w = image_size(g[0])
            counts.append(max(1, (h * w) // (patch * patch)))
        self.ends = np.cumsum(counts)
        self.cache: _ImageCache | None = None  # made in each worker process

    def __len__(self) -> int:
        return int(self.ends[-1])

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        """key = (sample index, seed): the crop and the pair of captures depend on the key alone, so results do not
        depend on which worker process draws them, and a resumed run draws what the original would have."""
        i, seed = key
        rng = random.Random(seed)
        if self.cache is None:
            self.cache = _ImageCache(self.channels, defaults.CACHE_MB)
        group = self.groups[int(np.searchsorted(self.ends, i, side="right"))]
        if self.recipe is not None:  # one clean image: two noisy copies of one crop
            img = self.cache.get(group[0])
            y, x = rng.randint(0, max(img.shape[0] - self.patch, 0)), rng.randint(0, max(img.shape[1] - self.patch, 0))
            return self.recipe(_crop(img, y, x, self.patch), seed)
        pick = rng.sample(range(len(group)), 2) if len(group) > 1 else [0, 0]  # random pair, either way round
        a, b = (self.cache.get(group[k]) for k in pick)
        if a.shape != b.shape:
            raise DataError(f"{group[pick[0]]}: size {a.shape[1]}x{a.shape[0]} differs from "
                            f"{group[pick[1]]} ({b.shape[1]}x{b.shape[0]})")
        y, x = rng.randint(0, max(a.shape[0] - self.patch, 0)), rng.randint(0, max(a.shape[1] - self.patch, 0))
        return _crop(a, y, x, self.patch), _crop(b, y, x, self.patch)


class EpochKeys(Sampler):
    """The keys (index, seed) of the current epoch; the trainer sets them before each epoch, so one DataLoader with
    persistent workers (and their decoded-image caches) serves the whole run."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []

    def set_epoch(self, order: torch.Tensor, seed: int) -> None:
        self.keys = [(int(i), seed * 1_000_003 + k) for k, i in enumerate(order.tolist())]

    def __iter__(self):
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def _first_channels(path: Path) -> int:
    img, _ = split_alpha(read_image(path))
    return img.shape[2]


def scene_groups(root: Path) -> list[list[Path]]:
    """`root/<scene>/` folders, each with two or more captures of one scene."""
    scenes = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    groups = [list_images(d) for d in scenes]
    few = [d.name for d, g in zip(scenes, groups) if len(g) < 2]
    if few:
        raise DataError(f"{root}: scene folder(s) {', '.join(few[:5])} hold fewer than two captures")
    return groups


def matched_pairs(a_dir: Path, b_dir: Path) -> list[tuple[Path, Path]]:
    """Files of two folders paired by file name (stem); any name without a partner is an error."""
    _require_dir(a_dir, "images")
    _require_dir(b_dir, "images")
    a = {p.stem: p for p in list_images(a_dir)}
    b = {p.stem: p for p in list_images(b_dir)}
    if not a:
        raise DataError(f"{a_dir}: no images found")
    lone_a, lone_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if lone_a or lone_b:
        parts = [f"{len(lone_a)} in {a_dir} without a partner (e.g. {lone_a[0]})"] if lone_a else []
        parts += [f"{len(lone_b)} in {b_dir} without a partner (e.g. {lone_b[0]})"] if lone_b else []
        raise DataError("pair names do not match: " + "; ".join(parts))
    return [(a[k], b[k]) for k in sorted(a)]


@dataclass
class Source:
    """What the trainer needs: tensor pairs or a patch dataset, the channel count, and how pairs are synthesised."""

    name: str
    channels: int
    tensors: TensorPairs | None = None
    patches: Dataset | None = None
    recipe: PairRecipe | None = None

    def __len__(self) -> int:
        return len(self.tensors) if self.tensors is not None else len(self.patches)


def open_train_source(data: str | Path, target: str | Path | None = None, recipe: PairRecipe | None = None,
                      patch: int = defaults.PATCH_SIZE, mmap: bool = True) -> Source:
    """Pick the data source from what `data` is: a tensor file, DIR/<scene>/ captures, a folder + `target` folder,
    or a clean folder + a `recipe` for synthetic noise."""
    data = Path(data)
    if data.suffix.lower() in defaults.TENSOR_SUFFIXES or data.is_file():
        if recipe is not None or target is not None:
            raise DataError(f"{data}: a tensor-pair file already holds its pairs; --noise and --target are for folders")
        t = TensorPairs(data, mmap=mmap)
        return Source(str(data), t.channels, tensors=t)
    _require_dir(data, "images or scene folders")
    if target is not None:
        pairs = matched_pairs(data, Path(target))
        ch = _first_channels(pairs[0][0])
        return Source(str(data), ch, patches=_FolderPatches(pairs, patch, ch, None))
    images = list_images(data)
    if recipe is not None:
        if not images:
            raise DataError(f"{data}: no images found (clean images go directly in the folder)")
        ch = _first_channels(images[0])
        return Source(str(data), ch, patches=_FolderPatches([[p] for p in images], patch, ch, recipe), recipe=recipe)
    if any(d.is_dir() for d in data.iterdir()):
        groups = scene_groups(data)
        if not groups:
            raise DataError(f"{data}: no scene folders with images found")
        ch = _first_channels(groups[0][0])
        return Source(str(data), ch, patches=_FolderPatches(groups, patch, ch, None))
    raise DataError(f"{data}: a folder of single images has no pairs: add --noise (e.g. gaussian:25) to synthesise "
                    "them from clean images, --target B_DIR for matching noisy images, or use DIR/<scene>/ captures")


# --- evaluation pairs ------------------------------------------------------------------------------------------------

@dataclass
class EvalSet:
    """(noisy, clean) pairs, as one batch tensor pair or as a list of image-file pairs of any size."""

    name: str
    channels: int
    tensors: tuple[torch.Tensor, torch.Tensor] | None = None
    files: list[tuple[Path, Path]] | None = None  # (noisy, clean); noisy == clean when noise is synthesised
    noise: Noise | None = None
    noise_seed: int = defaults.VAL_NOISE_SEED

    def __len__(self) -> int:
        return len(self.tensors[0]) if self.tensors is not None else len(self.files)

    def images(self) -> Iterator[tuple[str, torch.Tensor, torch.Tensor, int]]:
        """Yield (name, noisy, clean, bits): 1 x C x H x W float tensors in [0, 1] and the bit depth to score at."""
        if self.tensors is not None:
            raise TypeError("tensor eval sets are used as batches")
        for k, (noisy_path, clean_path) in enumerate(self.files):
            clean = read_image(clean_path)
            bits = 16 if clean.dtype == np.uint16 and self.noise is None else 8  # synthetic noise is 8-bit
            c = torch.from_numpy(to_float(match_channels(clean, self.channels))).permute(2, 0, 1)[None]
            if self.noise is not None:
                g = torch.Generator().manual_seed(self.noise_seed + k)
                n = self.noise(c, g)
            else:
                noisy = read_image(noisy_path)
                n = torch.from_numpy(to_float(match_channels(noisy, self.channels))).permute(2, 0, 1)[None]
                if n.shape != c.shape:
                    raise DataError(f"{noisy_path}: size {n.shape[-1]}x{n.shape[-2]} differs from its clean image "
                                    f"{clean_path} ({c.shape[-1]}x{c.shape[-2]})")
            yield noisy_path.name if self.noise is None else clean_path.name, n, c, bits


def open_eval_set(data: str | Path, clean: str | Path | None = None, noise: Noise | None = None,
                  noise_seed: int = defaults.VAL_NOISE_SEED) -> EvalSet:
    """A tensor file (noisy, clean); a noisy folder + `clean` folder matched by name (or DIR/<scene>/ captures +
    CLEAN/<scene>/ reference); or a clean folder + `noise`."""
    data = Path(data)
    if data.suffix.lower() in defaults.TENSOR_SUFFIXES or data.is_file():
        if noise is not None or clean is not None:
            raise DataError(f"{data}: a tensor-pair file already holds (noisy, clean); --noise and --clean are for folders")
        a, b = load_tensor_pair(data, mmap=False)
        return EvalSet(str(data), a.shape[1], tensors=(a, b))
    _require_dir(data, "images")
    if noise is not None:
        images = list_images(data)
        if not images:
            raise DataError(f"{data}: no images found")
        return EvalSet(str(data), _first_channels(images[0]), files=[(p, p) for p in images], noise=noise,
                       noise_seed=noise_seed)
    if clean is None:
        raise DataError(f"{data}: a folder needs its references: --clean CLEAN_DIR (matched by name) "
                        "or --noise to add synthetic noise to clean images")
    clean = Path(clean)
    scenes = sorted(d for d in data.iterdir() if d.is_dir() and not d.name.startswith("."))
    if scenes and not list_images(data):
        files = []
        for d in scenes:
            refs = list_images(clean / d.name) if (clean / d.name).is_dir() else []
            if len(refs) != 1:
                raise DataError(f"{clean / d.name}: expected exactly one clean reference image for scene {d.name}, "
                                f"found {len(refs)}")
            files += [(p, refs[0]) for p in list_images(d)]
    else:
        files = matched_pairs(data, clean)
    if not files:
        raise DataError(f"{data}: no images found")
    return EvalSet(str(data), _first_channels(files[0][1]), files=files)


# --- course-format files from clean images ---------------------------------------------------------------------------

def make_course_pairs(folder: str | Path, count: int, size: int, noise: Noise, seed: int,
                      kind: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Random size x size crops of the images in `folder` as uint8 N x C x size x size tensors:
    kind "train" gives (noisy_1, noisy_2), two independent noisy copies; kind "val" gives (noisy, clean)."""
    if kind not in ("train", "val"):
        raise ValueError(f"kind must be 'train' or 'val', not {kind!r}")
    folder = Path(folder)
    _require_dir(folder, "clean images")
    images = list_images(folder)
    if not images:
        raise DataError(f"{folder}: no images found")
    channels = _first_channels(images[0])
    rng = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    cache = _ImageCache(channels, defaults.CACHE_MB)
    crops = []
    for _ in range(count):
        img = cache.get(images[rng.randrange(len(images))])
        y, x = rng.randint(0, max(img.shape[0] - size, 0)), rng.randint(0, max(img.shape[1] - size, 0))
        crops.append(_crop(img, y, x, size))
    clean = torch.stack(crops)  # N x C x size x size in [0, 1]
    first = noise(clean, g)
    second = noise(clean, g) if kind == "train" else clean
    as_u8 = lambda t: torch.round(t * 255).to(torch.uint8)  # noqa: E731
    return as_u8(first), as_u8(second)
