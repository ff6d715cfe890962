"""Network architectures and the registry that builds them by name.

Every model built by `create_model` says what it is: `model.arch` (its registered name) and `model.kwargs` (the
constructor arguments, channels included), which checkpoints record so that any width or depth variant is rebuilt
from its file. `model.channels` is its input (and output) channel count.
"""

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
    """Build a registered model for images with `channels` channels (1 or 3); `kwargs` pick a variant."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(model_names())}")
    if channels not in (1, 3):
        raise ValueError(f"models take 1 (gray) or 3 (RGB) channels, not {channels}")
    model = _REGISTRY[name](channels=channels, **kwargs)
    model.arch, model.kwargs = name, {"channels": channels, **kwargs}
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _pad_to(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Replicate-pad the bottom and right edges to a multiple of `multiple`. No branch on the shape: the pad widths
    are arithmetic on it (zero when it already fits), so traced and exported graphs keep any input size, 1x1 up."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, (multiple - w % multiple) % multiple, 0, (multiple - h % multiple) % multiple),
                 mode="replicate")


class SeedNet(nn.Module):
    """The EE-559 report's final model: 4 layers, no padding, sigmoid output, and a skip from layer 1 into layer 4
    built as the course's code builds it: `torch.cat((res, x), 1)` with layer 1's output `res` first.

    Attribute names match the course's `Model` class, so its plain state_dicts load as they are.
    Valid on any H x W from 5 x 5: two unpadded convs shrink by 4 pixels, two transposed convs grow back by 4.
    """

    min_size = 5  # the smallest H and W it takes (the padded architectures take any size, 1 x 1 up)

    def __init__(self, channels: int = 3, width: int = 100):
        super().__init__()
        self.channels = channels
        self.conv1 = nn.Conv2d(channels, width, 3)
        self.conv2 = nn.Conv2d(width, width, 3)
        self.t_conv1 = nn.ConvTranspose2d(width, width, 3)
        self.t_conv2 = nn.ConvTranspose2d(2 * width, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = F.relu(self.conv1(x))  # N x W x (H-2) x (W-2)
        h = F.relu(self.conv2(res))  # (H-4)
        h = F.relu(self.t_conv1(h))  # back to (H-2)
        return torch.sigmoid(self.t_conv2(torch.cat((res, h), 1)))  # H x W; layer 1's output first, as the course


def seed_from_v1(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Convert a SeedNet state_dict written by n2n 0.1 (checkpoint format 1), whose last layer took its input as
    cat(t_conv1 output, layer 1 output), to the course's order: swap the two input halves of t_conv2's weight.
    A transposed convolution's weight is (in_channels, out_channels, kH, kW), so the halves lie along dim 0."""
    sd = dict(state_dict)
    w = sd["t_conv2.weight"]
    half = w.shape[0] // 2
    sd["t_conv2.weight"] = torch.cat((w[half:], w[:half]), 0)
    return sd


class UNet(nn.Module):
    """The Noise2Noise paper's U-Net (Lehtinen et al. 2018, appendix): 5 poolings, 48/96 channels, linear output.

    Inputs of any size are padded to a multiple of 32 and the output is cropped back.
    """

    def __init__(self, channels: int = 3, width: int = 48):
        super().__init__()
        self.channels = channels
        self.multiple = 32  # five poolings
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
        xp = _pad_to(x, self.multiple)
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


class FastUNet(nn.Module):
    """A denoiser built for the CPU: pixel-unshuffle by 2 (the FFDNet idea), a U-Net at half resolution with
    additive skips, pixel-shuffle back, and a residual output (input + predicted correction, so a clean image is
    easy to leave alone).

    `widths[i]` is the channel count at level i (level 0 at half resolution, each next level halves again);
    `depth[i]` the 3x3 convolutions on each side of level i (the last level is the bottom, run once).
    With widths doubling per level every convolution costs about the same per input pixel.
    """

    def __init__(self, channels: int = 3, widths: tuple[int, ...] = (48, 96, 192), depth: tuple[int, ...] = (1, 1, 2)):
        super().__init__()
        widths, depth = tuple(widths), tuple(depth)
        if len(widths) != len(depth) or len(widths) < 1:
            raise ValueError(f"widths {widths} and depth {depth} must have one entry per level")
        self.channels = channels
        self.multiple = 2 ** len(widths)  # the unshuffle and every level below it halve the size

        def convs(w: int, n: int) -> nn.Module:
            return nn.Sequential(*[m for _ in range(n) for m in (nn.Conv2d(w, w, 3, padding=1), nn.ReLU(inplace=True))])

        self.head = nn.Sequential(nn.Conv2d(4 * channels, widths[0], 3, padding=1), nn.ReLU(inplace=True))
        self.enc = nn.ModuleList([convs(w, n) for w, n in zip(widths[:-1], depth[:-1])])
        self.down = nn.ModuleList([nn.Sequential(nn.Conv2d(a, b, 2, stride=2), nn.ReLU(inplace=True))
                                   for a, b in zip(widths[:-1], widths[1:])])
        self.bottom = convs(widths[-1], depth[-1])
        self.up = nn.ModuleList([nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(widths[:-1], widths[1:])])
        self.dec = nn.ModuleList([convs(w, n) for w, n in zip(widths[:-1], depth[:-1])])
        self.tail = nn.Conv2d(widths[0], 4 * channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # a fresh model is the identity: it starts from the input, not from noise
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        xp = _pad_to(x, self.multiple)
        t = self.head(F.pixel_unshuffle(xp, 2))  # N x widths[0] x H/2 x W/2
        skips = []
        for enc, down in zip(self.enc, self.down):
            t = enc(t)
            skips.append(t)
            t = down(t)
        t = self.bottom(t)
        for up, dec in zip(self.up[::-1], self.dec[::-1]):
            t = dec(up(t) + skips.pop())
        return (xp + F.pixel_shuffle(self.tail(t), 2))[..., :h, :w]


@register_model
def seed(channels: int = 3) -> nn.Module:
    """EE-559 report model, 188,403 parameters for RGB."""
    return SeedNet(channels)


@register_model
def unet(channels: int = 3) -> nn.Module:
    """Noise2Noise paper U-Net, about 0.99 M parameters for RGB."""
    return UNet(channels)


@register_model
def fast(channels: int = 3, widths: tuple[int, ...] = (48, 96, 192), depth: tuple[int, ...] = (1, 1, 2)) -> nn.Module:
    """FastUNet: half-resolution residual U-Net for the CPU."""
    return FastUNet(channels, widths, depth)


@register_model
def tiny(channels: int = 3) -> nn.Module:
    """The seed architecture at width 8 (1,827 parameters for RGB): for tests and smoke runs."""
    return SeedNet(channels, width=8)


COURSE_KEYS = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
               "t_conv1.weight", "t_conv1.bias", "t_conv2.weight", "t_conv2.bias"}


def is_course_state_dict(obj: object) -> bool:
    """True for a plain state_dict saved from the course's `Model` network (the report's architecture)."""
    return isinstance(obj, dict) and set(obj) == COURSE_KEYS and all(torch.is_tensor(v) for v in obj.values())
