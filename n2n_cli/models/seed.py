"""The EE-559 course report's network (`seed`), its width-8 copy for tests (`tiny`), and what reads the course's
own files: its plain state_dicts, and n2n 0.1's format-1 checkpoints of these models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import Net
from .registry import register_model

COURSE_KEYS = {
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "t_conv1.weight",
    "t_conv1.bias",
    "t_conv2.weight",
    "t_conv2.bias",
}


class SeedLayers(Net):
    """The report's final model: 4 layers, no padding, sigmoid output, and a skip from layer 1 into layer 4 built as
    the course's code builds it: `torch.cat((res, x), 1)` with layer 1's output `res` first.

    Attribute names match the course's `Model` class, so its plain state_dicts load as they are.
    Valid on any H x W from 5 x 5: two unpadded convs shrink by 4 pixels, two transposed convs grow back by 4.
    """

    min_size = 5

    def __init__(self, channels: int, width: int) -> None:
        super().__init__(channels)
        self.conv1 = nn.Conv2d(channels, width, 3)
        self.conv2 = nn.Conv2d(width, width, 3)
        self.t_conv1 = nn.ConvTranspose2d(width, width, 3)
        self.t_conv2 = nn.ConvTranspose2d(2 * width, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = F.relu(self.conv1(x))  # N x W x (H-2) x (W-2)
        h = F.relu(self.conv2(res))  # (H-4)
        h = F.relu(self.t_conv1(h))  # back to (H-2)
        return torch.sigmoid(self.t_conv2(torch.cat((res, h), 1)))  # H x W; layer 1's output first, as the course


@register_model("seed")
class SeedNet(SeedLayers):
    """EE-559 report model, 188,403 parameters for RGB."""

    train_bytes_per_pixel = 2900  # measured: tests/models/test_memory.py

    def __init__(self, channels: int = 3) -> None:
        super().__init__(channels, width=100)


@register_model("tiny")
class TinyNet(SeedLayers):
    """The seed architecture at width 8 (1,827 parameters for RGB): for tests and smoke runs."""

    train_bytes_per_pixel = 360  # measured: tests/models/test_memory.py

    def __init__(self, channels: int = 3) -> None:
        super().__init__(channels, width=8)


def seed_from_v1(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Convert a SeedNet state_dict written by n2n 0.1 (checkpoint format 1), whose last layer took its input as
    cat(t_conv1 output, layer 1 output), to the course's order: swap the two input halves of t_conv2's weight.
    A transposed convolution's weight is (in_channels, out_channels, kH, kW), so the halves lie along dim 0."""
    sd = dict(state_dict)
    w = sd["t_conv2.weight"]
    half = w.shape[0] // 2
    sd["t_conv2.weight"] = torch.cat((w[half:], w[:half]), 0)
    return sd


def is_course_state_dict(obj: object) -> bool:
    """True for a plain state_dict saved from the course's `Model` network (the report's architecture)."""
    return isinstance(obj, dict) and set(obj) == COURSE_KEYS and all(torch.is_tensor(v) for v in obj.values())
