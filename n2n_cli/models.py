"""Network architectures and the registry that builds them by name."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    _REGISTRY[fn.__name__] = fn
    return fn


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, channels: int = 3, **kwargs) -> nn.Module:
    """Build a registered model for images with `channels` channels (1 or 3)."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(model_names())}")
    if channels not in (1, 3):
        raise ValueError(f"models take 1 (gray) or 3 (RGB) channels, not {channels}")
    return _REGISTRY[name](channels=channels, **kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class SeedNet(nn.Module):
    """The EE-559 report's final model: 4 layers, no padding, skip from layer 1 into layer 4, sigmoid output.

    Attribute names match the course's `Model` class, so its plain state_dicts load as they are.
    Valid on any H x W: two unpadded convs shrink by 4 pixels, two transposed convs grow back by 4.
    """

    def __init__(self, channels: int = 3, width: int = 100):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3)
        self.conv2 = nn.Conv2d(width, width, 3)
        self.t_conv1 = nn.ConvTranspose2d(width, width, 3)
        self.t_conv2 = nn.ConvTranspose2d(2 * width, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1 = F.relu(self.conv1(x))  # N x W x (H-2) x (W-2)
        h = F.relu(self.conv2(h1))  # (H-4)
        h = F.relu(self.t_conv1(h))  # back to (H-2)
        return torch.sigmoid(self.t_conv2(torch.cat([h, h1], dim=1)))  # H x W


class UNet(nn.Module):
    """The Noise2Noise paper's U-Net (Lehtinen et al. 2018, appendix): 5 poolings, 48/96 channels, linear output.

    Inputs of any size are reflection-padded to a multiple of 32 and the output is cropped back.
    """

    def __init__(self, channels: int = 3, width: int = 48):
        super().__init__()
        w, w2 = width, 2 * width

        def conv(cin: int, cout: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1, inplace=True))

        self.enc0 = nn.Sequential(conv(channels, w), conv(w, w))
        self.enc = nn.ModuleList([conv(w, w) for _ in range(5)])  # enc_conv2..6, after pools 1..5
        self.dec5 = nn.Sequential(conv(w + w, w2), conv(w2, w2))
        self.dec = nn.ModuleList([nn.Sequential(conv(w2 + w, w2), conv(w2, w2)) for _ in range(3)])
        self.dec1 = nn.Sequential(conv(w2 + channels, 64), conv(64, 32), nn.Conv2d(32, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % 32, (-w) % 32
        # reflection needs pad < size; tiny images fall back to replicate padding
        mode = "reflect" if ph < h and pw < w else "replicate"
        xp = F.pad(x, (0, pw, 0, ph), mode=mode) if ph or pw else x
        skips = [xp]
        t = self.enc0(xp)
        for i, layer in enumerate(self.enc):
            t = F.max_pool2d(t, 2)
            if i < 4:
                skips.append(t)  # pool1..pool4 feed the decoder
            t = layer(t)
        t = self.dec5(torch.cat([F.interpolate(t, scale_factor=2.0, mode="nearest"), skips.pop()], 1))
        for layer in self.dec:
            t = layer(torch.cat([F.interpolate(t, scale_factor=2.0, mode="nearest"), skips.pop()], 1))
        t = self.dec1(torch.cat([F.interpolate(t, scale_factor=2.0, mode="nearest"), skips.pop()], 1))
        return t[..., :h, :w]


@register_model
def seed(channels: int = 3) -> nn.Module:
    """EE-559 report model, 188,403 parameters for RGB."""
    return SeedNet(channels)


@register_model
def unet(channels: int = 3) -> nn.Module:
    """Noise2Noise paper U-Net, about 0.99 M parameters for RGB."""
    return UNet(channels)


@register_model
def tiny(channels: int = 3) -> nn.Module:
    """The seed architecture at width 8 (1,827 parameters for RGB): for tests and smoke runs."""
    return SeedNet(channels, width=8)


COURSE_KEYS = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
               "t_conv1.weight", "t_conv1.bias", "t_conv2.weight", "t_conv2.bias"}


def is_course_state_dict(obj: object) -> bool:
    """True for a plain state_dict saved from the course's `Model` network (the report's architecture)."""
    return isinstance(obj, dict) and set(obj) == COURSE_KEYS and all(torch.is_tensor(v) for v in obj.values())
