"""What the trainer and the scorers take from data, whatever its kind.

Training sources (tensor pairs, patches of image files) share `TrainSource`: `name`, `channels`, `size` (H x W of
what they yield), `len()`, `start(device, batch, workers)` and `epoch(order, seed, skip)` yielding batches: (input, target),
or (image,) for single noisy images, from position `skip` of the order on (a run resumed inside an epoch). Evaluation sets share `EvalSet`, yielding `EvalBatch`es; noisy-pair sets
share `PairSet`, yielding `PairBatch`es of two captures of one scene.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

from ..io.normalize import Range

Ref = tuple[Path, int]  # (file, frame): TIFF stacks are captures or evaluation images like any other file


class TrainSource(Protocol):
    name: str
    channels: int
    size: tuple[int, int]  # H x W of the images it yields (crops' size for image folders)

    def __len__(self) -> int: ...

    def start(self, device: torch.device, batch: int, workers: int) -> None: ...

    def epoch(self, order: torch.Tensor, seed: int, skip: int = 0) -> Iterator[Sequence[torch.Tensor]]: ...


@dataclass
class EvalBatch:
    names: list[str]
    noisy: torch.Tensor  # N x C x H x W in [0, 1]
    clean: torch.Tensor  # the reference, same shape
    bits: int  # bit depth the output is scored at (what the output file stores)
    ranges: list[Range] | None = None  # each noisy image's range in its tensor's units (None: [0, 1] as it is)


class EvalSet(Protocol):
    name: str
    channels: int

    def __len__(self) -> int: ...

    def batches(self) -> Iterator[EvalBatch]: ...


@dataclass
class PairBatch:
    names: list[str]
    first: torch.Tensor  # N x C x H x W in [0, 1]: the model's input
    second: torch.Tensor  # another capture of the same scene, the same shape
    bits: int  # bit depth the output is scored at
    ranges: list[Range] | None = None  # each first capture's range in its tensor's units (None: [0, 1] as it is)


class PairSet:
    """Noisy pairs (x1, x2) of one scene each: `name`, `channels`, `len()` and `batches()` yielding PairBatches. A
    base class, not a Protocol: validation tells pair sets from evaluation sets with isinstance."""

    name: str
    channels: int

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self) -> Iterator[PairBatch]:
        raise NotImplementedError
