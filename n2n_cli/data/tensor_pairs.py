"""Tensor files as data: a training source (pairs, or single images with `--single`), an evaluation set
(noisy, clean) and a noisy-pair set (noisy_1, noisy_2). The files themselves are read by io/tensors.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch

from .. import defaults
from ..io.tensors import load_tensor_images, load_tensor_pair, to_unit
from .protocols import EvalBatch, PairBatch, PairSet


class TensorPairs:
    """A tensor-pair file as a training source: batches gathered by index, on the training device when it fits.
    Built from one tensor (`TensorPairs.open(path, single=True)`), it yields single noisy images, batches (y,)."""

    def __init__(self, *tensors: torch.Tensor, name: str = "<tensors>"):
        self.tensors, self.name = tensors, name
        self.channels = int(tensors[0].shape[1])
        self.size = (int(tensors[0].shape[-2]), int(tensors[0].shape[-1]))
        self.batch, self.device = 1, torch.device("cpu")

    @classmethod
    def open(cls, path: str | Path, mmap: bool = True, single: bool = False) -> TensorPairs:
        if single:
            return cls(load_tensor_images(path, mmap=mmap), name=str(path))
        return cls(*load_tensor_pair(path, mmap=mmap), name=str(path))

    def __len__(self) -> int:
        return len(self.tensors[0])

    def start(self, device: torch.device, batch: int, workers: int) -> None:
        """Batches of `batch` pairs (or images) on `device`; the (uint8) tensors move there when they take under a
        quarter of its memory."""
        self.batch, self.device = batch, device
        if device.type == "cuda":
            need = sum(t.numel() * t.element_size() for t in self.tensors)
            if need < torch.cuda.get_device_properties(device).total_memory // 4:
                self.tensors = tuple(t.to(device) for t in self.tensors)

    def epoch(self, order: torch.Tensor, seed: int, skip: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        order = order.to(self.tensors[0].device)
        for i in range(skip, len(order), self.batch):
            idx = order[i:i + self.batch]
            if self.tensors[0].device.type == "cpu":
                idx, _ = idx.sort()  # sequential reads when the file is memory-mapped
            yield tuple(to_unit(t[idx]).to(self.device, non_blocking=True) for t in self.tensors)


class TensorEval:
    """A (noisy, clean) tensor-pair file, scored in chunks."""

    def __init__(self, noisy: torch.Tensor, clean: torch.Tensor, name: str, chunk: int = 1000):
        self.noisy, self.clean, self.name, self.chunk = noisy, clean, name, _chunk(noisy, chunk)
        self.channels = int(noisy.shape[1])

    def __len__(self) -> int:
        return len(self.noisy)

    def batches(self) -> Iterator[EvalBatch]:
        for i in range(0, len(self.noisy), self.chunk):
            n, c = self.noisy[i:i + self.chunk], self.clean[i:i + self.chunk]
            yield EvalBatch([f"#{i + k}" for k in range(len(n))], to_unit(n), to_unit(c), 8)


class TensorPairSet(PairSet):
    """A (noisy_1, noisy_2) tensor file, read in chunks."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, name: str, chunk: int = 1000):
        self.a, self.b, self.name, self.chunk, self.channels = a, b, name, _chunk(a, chunk), int(a.shape[1])

    def __len__(self) -> int:
        return len(self.a)

    def batches(self) -> Iterator[PairBatch]:
        for i in range(0, len(self.a), self.chunk):
            a, b = self.a[i:i + self.chunk], self.b[i:i + self.chunk]
            yield PairBatch([f"#{i + k}" for k in range(len(a))], to_unit(a), to_unit(b), 8)


def _chunk(t: torch.Tensor, most: int) -> int:
    """Images per chunk: at most `most`, and fewer when large images would make a chunk's float copies larger than
    defaults.EVAL_CHUNK_MB (1000 images of 4096 x 4096 would take 200 GB)."""
    per_image = max(1, t[0].numel() * 4)
    return max(1, min(most, defaults.EVAL_CHUNK_MB * 2**20 // per_image))
