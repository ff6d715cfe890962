"""Random crops from image files for training, decoded once per loader process and kept in a bounded cache.

Crops reach the network as it sees images when denoising (io/normalize.py): clamp((x - lo) / (hi - lo), 0, 1),
with one range per group, its first frame's, for the input and the target alike, so the target's mean stays the
clean signal in the input's units.

A group holds the frames of one scene, as (file, frame) references: its noisy captures, its one clean image when
pairs are synthesised by a recipe, or its one noisy image when training from single images. Crops are keyed by
(sample index, seed), so what a sample holds depends on its key alone: not on which loader process draws it, and a
resumed run draws what the original would have.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .. import defaults
from ..errors import DataError, UserError
from ..io import match_channels, probe, read_frame
from ..io.normalize import Normalization, Range
from ..noise import PairRecipe
from .protocols import Ref


class ImageCache:
    """Decoded frames kept in memory up to a byte budget (least recently used evicted), so each is decoded once
    per process when the data fits, and streamed from disk when it does not. Frames are read under `max_pixels`;
    each frame's range (io/normalize.py) is kept beside it, found once."""

    def __init__(self, channels: int, max_pixels: int, budget_mb: int = defaults.CACHE_MB,
                 normalization: Normalization | None = None):
        self.channels, self.max_pixels, self.budget = channels, max_pixels, budget_mb * 2**20
        self.rule = normalization or Normalization()
        self.items: OrderedDict[Ref, np.ndarray] = OrderedDict()
        self.ranges: dict[Ref, Range] = {}
        self.used = 0

    def range(self, ref: Ref) -> Range:
        """The range of a frame, by the run's rule."""
        if ref not in self.ranges:
            self.ranges[ref] = self.rule.range_of([self.get(ref)])
        return self.ranges[ref]

    def get(self, ref: Ref) -> np.ndarray:
        img = self.items.get(ref)
        if img is not None:
            self.items.move_to_end(ref)
            return img
        img = match_channels(read_frame(*ref, max_pixels=self.max_pixels), self.channels)
        if img.nbytes <= self.budget:
            self.items[ref] = img
            self.used += img.nbytes
            while self.used > self.budget:
                _, old = self.items.popitem(last=False)
                self.used -= old.nbytes
        return img


def crop(img: np.ndarray, y: int, x: int, size: int, rng: Range) -> torch.Tensor:
    """C x size x size float crop in the network's range, clamp((x - lo) / (hi - lo), 0, 1); images smaller than
    the patch are mirror-padded."""
    c = img[y:y + size, x:x + size]
    if c.shape[0] < size or c.shape[1] < size:
        c = np.pad(c, ((0, size - c.shape[0]), (0, size - c.shape[1]), (0, 0)), mode="symmetric")
    t = c.astype(np.float32)
    if rng.lo:
        t -= rng.lo
    t /= rng.span
    return torch.from_numpy(np.clip(t, 0, 1, out=t)).permute(2, 0, 1)


class PatchPairs(Dataset):
    """Pairs of aligned random crops from groups of frames, or with `single` one crop of each group's one image (a
    1-tuple). An epoch draws, for each group, as many patches as its image area holds (at least one). Every frame is
    read under `max_pixels`, in the loader processes too: the dataset carries it to them."""

    def __init__(self, groups: Sequence[Sequence[Ref]], patch: int, channels: int, recipe: PairRecipe | None = None,
                 single: bool = False, max_pixels: int = defaults.MAX_PIXELS,
                 normalization: Normalization | None = None):
        self.groups, self.patch, self.channels, self.recipe = [list(g) for g in groups], patch, channels, recipe
        self.single, self.max_pixels = single, max_pixels
        self.normalization = normalization or Normalization()
        counts, self.decoded_bytes = [], 0  # decoded_bytes: what a cache holding every frame takes (memory plan)
        for g in self.groups:
            info = probe(g[0][0], max_pixels)
            counts.append(max(1, (info.height * info.width) // (patch * patch)))
            self.decoded_bytes += len(g) * info.height * info.width * channels * np.dtype(info.dtype).itemsize
        self.ends = np.cumsum(counts)
        self.cache: ImageCache | None = None  # made in each loader process

    def __len__(self) -> int:
        return int(self.ends[-1])

    def _corner(self, rng: random.Random, img: np.ndarray) -> tuple[int, int]:
        return rng.randint(0, max(img.shape[0] - self.patch, 0)), rng.randint(0, max(img.shape[1] - self.patch, 0))

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, ...]:
        i, seed = key
        rng = random.Random(seed)
        if self.cache is None:
            self.cache = ImageCache(self.channels, self.max_pixels, normalization=self.normalization)
        group = self.groups[int(np.searchsorted(self.ends, i, side="right"))]
        span = self.cache.range(group[0])  # one range for the group: its first frame's
        if self.recipe is not None or self.single:
            img = self.cache.get(group[0])
            c = crop(img, *self._corner(rng, img), self.patch, span)
            if self.recipe is None:
                return (c,)
            return self.recipe(c, seed)  # two noisy copies of one clean crop
        pick = rng.sample(range(len(group)), 2) if len(group) > 1 else [0, 0]  # random pair, either way round
        a, b = (self.cache.get(group[k]) for k in pick)
        if a.shape != b.shape:
            (pa, _), (pb, _) = group[pick[0]], group[pick[1]]
            raise DataError(f"{pa}: size {a.shape[1]}x{a.shape[0]} differs from {pb} ({b.shape[1]}x{b.shape[0]})")
        y, x = self._corner(rng, a)
        return crop(a, y, x, self.patch, span), crop(b, y, x, self.patch, span)


class EpochKeys(Sampler):
    """The keys (index, seed) of the current epoch, set before each epoch, so one DataLoader with persistent workers
    (and their decoded-image caches) serves the whole run."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []

    def set_epoch(self, order: torch.Tensor, seed: int, skip: int = 0) -> None:
        """The keys from position `skip` on: a crop's seed is keyed by its position in the whole epoch."""
        self.keys = [(int(i), seed * 1_000_003 + k) for k, i in enumerate(order.tolist()) if k >= skip]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


class PatchSource:
    """Image files as a training source: crops drawn by loader processes."""

    def __init__(self, name: str, patches: PatchPairs):
        self.name, self.patches, self.channels = name, patches, patches.channels
        self.size = (patches.patch, patches.patch)  # crops of smaller images are padded to it
        self.keys = EpochKeys()
        self.loader: DataLoader | None = None

    @property
    def recipe(self) -> PairRecipe | None:
        return self.patches.recipe

    def __len__(self) -> int:
        return len(self.patches)

    def start(self, device: torch.device, batch: int, workers: int) -> None:
        self.loader = DataLoader(self.patches, batch_size=batch, sampler=self.keys, num_workers=workers,
                                 pin_memory=device.type == "cuda", persistent_workers=workers > 0)

    def epoch(self, order: torch.Tensor, seed: int, skip: int = 0) -> Iterator[Sequence[torch.Tensor]]:
        if self.loader is None:
            raise RuntimeError("PatchSource.start() must be called before epoch()")
        self.keys.set_epoch(order, seed, skip)
        try:
            yield from self.loader
        except UserError as e:  # a file that failed in a loader process: its one line, not the worker's traceback
            raise type(e)(worker_message(e)) from None


def worker_message(e: Exception) -> str:
    """The message of an exception re-raised by a DataLoader worker, which wraps it as "Caught X in DataLoader
    worker process N. Original Traceback ...", ending with the line "module.X: message"."""
    text = str(e)
    if not text.startswith("Caught ") or "Traceback" not in text:
        return text
    last = text.rstrip().splitlines()[-1]
    prefix = f"{type(e).__module__}.{type(e).__qualname__}: "
    return last[len(prefix):] if last.startswith(prefix) else last
