"""The Noise2Noise paper's U-Net (Lehtinen et al. 2018, appendix)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import Net, pad_to
from .registry import register_model


@register_model("unet")
class UNet(Net):
    """5 poolings, 48/96 channels, linear output; about 0.99 M parameters for RGB. Inputs of any size are padded to
    a multiple of 32 and the output is cropped back."""

    width = 48
    train_bytes_per_pixel = 2400  # measured: tests/models/test_memory.py

    def __init__(self, channels: int = 3) -> None:
        super().__init__(channels, multiple=32)  # five poolings
        w, w2 = self.width, 2 * self.width

        def conv(cin: int, cout: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1, inplace=True))

        self.enc0 = nn.Sequential(conv(channels, w), conv(w, w))
        self.enc = nn.ModuleList([conv(w, w) for _ in range(5)])  # enc_conv2..6, after pools 1..5
        self.dec5 = nn.Sequential(conv(w + w, w2), conv(w2, w2))
        self.dec = nn.ModuleList([nn.Sequential(conv(w2 + w, w2), conv(w2, w2)) for _ in range(3)])
        self.dec1 = nn.Sequential(conv(w2 + channels, 64), conv(64, 32), nn.Conv2d(32, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        xp = pad_to(x, self.multiple)
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
