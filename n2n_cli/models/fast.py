"""`fast`, the default architecture: a denoiser built for the CPU."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .base import Net, pad_to
from .registry import register_model

WIDTHS, DEPTH = (48, 96, 192), (1, 1, 2)
TRAIN_BYTES = 560  # bytes per input pixel of a training step, default widths and depth (Net.train_bytes_per_pixel)


def _saved_channels(widths: Sequence[int], depth: Sequence[int], context: bool = False) -> float:
    """Activation channels saved for the backward pass per input pixel, up to a constant: each level i holds its
    convolutions' outputs at 1/4^i of the pixels (measured to follow the saved bytes within 4%), and with a context
    one more: the features it scales."""
    return sum(w * (2 * d + 2 + context) / 4**i for i, (w, d) in enumerate(zip(widths, depth)))


CONTEXT_HIDDEN = 64  # the global context's hidden width


class GlobalContext(nn.Module):
    """What the whole input says, given to every level: the mean of each level's features over the image (whether
    it is noisy at all, which a neighbourhood cannot always tell from texture) becomes a per-channel scale and shift
    of each level's features (FiLM, Perez et al., AAAI 2018; NAFNet's channel attention is the same pooling). Its
    last layer starts at zero, so a model given one computes what it computed before."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.widths = tuple(widths)
        last = nn.Conv2d(CONTEXT_HIDDEN, 2 * sum(self.widths), 1)
        for p in last.parameters():
            nn.init.zeros_(p)
        self.mlp = nn.Sequential(nn.Conv2d(sum(self.widths), CONTEXT_HIDDEN, 1), nn.ReLU(inplace=True), last)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(scale, shift) for each level, from that level's features (N x widths[i] x h x w each)."""
        pooled = torch.cat([f.mean((2, 3), keepdim=True) for f in feats], 1)
        film = self.mlp(pooled).split([w for w in self.widths for _ in (0, 1)], 1)
        return [(film[2 * i], film[2 * i + 1]) for i in range(len(self.widths))]


@register_model("fast")
class FastUNet(Net):
    """Pixel-unshuffle by 2 (the FFDNet idea), a U-Net at half resolution with additive skips, pixel-shuffle back,
    and a residual output (input + predicted correction, so a clean image is easy to leave alone).

    `widths[i]` is the channel count at level i (level 0 at half resolution, each next level halves again);
    `depth[i]` the 3x3 convolutions on each side of level i (the last level is the bottom, run once).
    With widths doubling per level every convolution costs about the same per input pixel.
    `context`: add a GlobalContext, which scales and shifts each level's features (on the way up) by what the
    whole input's features say (mostly how noisy it is).
    """

    def __init__(
        self,
        channels: int = 3,
        widths: Sequence[int] = WIDTHS,
        depth: Sequence[int] = DEPTH,
        context: bool = False,
    ) -> None:
        widths, depth = tuple(widths), tuple(depth)
        if len(widths) != len(depth) or len(widths) < 1:
            raise ValueError(f"widths {widths} and depth {depth} must have one entry per level")
        # measured for the default widths and depth; variants scale with what they save per input pixel
        self.train_bytes_per_pixel = round(
            TRAIN_BYTES * _saved_channels(widths, depth, context) / _saved_channels(WIDTHS, DEPTH)
        )
        # the unshuffle and every level below it halve the size
        extra = {"context": True} if context else {}  # files without the key are models without one
        super().__init__(channels, multiple=2 ** len(widths), widths=widths, depth=depth, **extra)

        def convs(w: int, n: int) -> nn.Module:
            return nn.Sequential(*[m for _ in range(n) for m in (nn.Conv2d(w, w, 3, padding=1), nn.ReLU(inplace=True))])

        self.head = nn.Sequential(nn.Conv2d(4 * channels, widths[0], 3, padding=1), nn.ReLU(inplace=True))
        self.enc = nn.ModuleList([convs(w, n) for w, n in zip(widths[:-1], depth[:-1])])
        self.down = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(a, b, 2, stride=2), nn.ReLU(inplace=True))
                for a, b in zip(widths[:-1], widths[1:])
            ]
        )
        self.bottom = convs(widths[-1], depth[-1])
        self.up = nn.ModuleList([nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(widths[:-1], widths[1:])])
        self.dec = nn.ModuleList([convs(w, n) for w, n in zip(widths[:-1], depth[:-1])])
        self.tail = nn.Conv2d(widths[0], 4 * channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # a fresh model is the identity: it starts from the input, not from noise
        if self.tail.bias is not None:
            nn.init.zeros_(self.tail.bias)
        self.context = GlobalContext(widths) if context else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        xp = pad_to(x, self.multiple)
        t = self.head(F.pixel_unshuffle(xp, 2))  # N x widths[0] x H/2 x W/2
        skips = []
        for enc, down in zip(self.enc, self.down):
            t = enc(t)
            skips.append(t)
            t = down(t)
        film = self.context([*skips, t]) if self.context is not None else None
        if film is not None:
            t = t * (1 + film[-1][0]) + film[-1][1]
        t = self.bottom(t)
        for i in reversed(range(len(self.dec))):
            t = self.up[i](t) + skips.pop()
            if film is not None:
                t = t * (1 + film[i][0]) + film[i][1]
            t = self.dec[i](t)
        return (xp + F.pixel_shuffle(self.tail(t), 2))[..., :h, :w]
