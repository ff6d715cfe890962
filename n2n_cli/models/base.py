"""What every registered model is: `Net`, an nn.Module that declares its contract.

- `channels`: the image channels it takes and gives (1 or 3);
- `multiple`: it pads its input to a multiple of this (its grid), so tiles are placed on it;
- `min_size`: the smallest H and W it takes (the padded architectures take any size, 1 x 1 up);
- `arch` and `kwargs`: its registered name and constructor arguments, which checkpoints record so that any width or
  depth variant is rebuilt from its file;
- `train_bytes_per_pixel`: the memory one input pixel costs in a training step (activations kept for the backward
  pass, its transients, the batch itself; float32, RGB), for the memory plan made before a run
  (training/memory.py). Measured, not guessed: tests/models/test_memory.py checks it against the activations the
  network saves, and against a training step's peak memory for `tiny`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    arch: ClassVar[str] = ""  # the registered name, set by @register_model
    min_size: ClassVar[int] = 1
    train_bytes_per_pixel: int = 0  # every registered model declares its own (a test checks it); variants may scale it

    def __init__(self, channels: int, multiple: int = 1, **kwargs: Any) -> None:
        """`kwargs`: the subclass's own constructor arguments (variants), recorded beside `channels`."""
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"models take 1 (gray) or 3 (RGB) channels, not {channels}")
        self.channels = channels
        self.multiple = multiple
        self.kwargs: dict[str, Any] = {"channels": channels, **kwargs}


def contract(model: nn.Module) -> tuple[int, int, int]:
    """(channels, multiple, min_size) of a model: a `Net`'s declared ones; any other module (a test's hand-made
    network) must say its channels, and is taken to pad nothing and take any size."""
    if isinstance(model, Net):
        return model.channels, model.multiple, model.min_size
    return int(getattr(model, "channels")), 1, 1  # noqa: B009  foreign modules: no declared contract to read


UNKNOWN_TRAIN_BYTES = 4000  # a network that declares nothing (a test's hand-made module): assumed as costly as unet


def train_bytes_per_pixel(model: nn.Module) -> int:
    """Bytes of memory per input pixel of a training step (see the module's docstring)."""
    return getattr(model, "train_bytes_per_pixel", 0) or UNKNOWN_TRAIN_BYTES


def pad_to(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Replicate-pad the bottom and right edges to a multiple of `multiple`. No branch on the shape: the pad widths
    are arithmetic on it (zero when it already fits), so traced and exported graphs keep any input size, 1x1 up."""
    h, w = x.shape[-2:]
    return F.pad(
        x, (0, (multiple - w % multiple) % multiple, 0, (multiple - h % multiple) % multiple), mode="replicate"
    )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
