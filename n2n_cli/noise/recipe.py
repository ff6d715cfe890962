"""Training pairs made from clean crops: two independent noisy copies of each crop, never a clean target.

The input looks like a user's file (clipped, rounded to 8 bits, and optionally saved as JPEG, as cameras and phones
save photos); the target keeps its noise unclipped and unrounded, so its mean is exactly the clean crop, also near
black and white (a clipped target's mean is not, which darkens or lightens the output there).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .. import defaults
from .model import PHOTO_KINDS, AnyNoise, quantize

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as Pillow's convert("L")


@dataclass(frozen=True)
class PairRecipe:
    """How a clean crop becomes (input, target). Shares are probabilities per crop."""

    noise: AnyNoise
    clean_share: float = 0.0  # inputs left without noise: a clean photo must come back unharmed
    gray_share: float = 0.0  # colour crops made gray, with the same noise in every channel (a gray photo as RGB)
    jpeg_share: float = 0.0  # noisy inputs saved as JPEG ...
    jpeg_quality: tuple[int, int] = (60, 95)  # ... at a quality drawn from this range
    dark_share: float = 0.0  # crops darkened before the noise: dim scenes, dark backgrounds (fluorescence, night) ...
    dark_gamma: tuple[float, float] = (1.0, 6.0)  # ... as clean ** gamma, gamma log-uniform in this range
    zoom_share: float = 0.0  # crops enlarged before the noise (see `zoom`): a full-size photo's smooth pixels ...
    zoom_max: float = defaults.ZOOM_MAX  # ... by a factor log-uniform in 1 to this
    balance: bool = False  # also a weight for the crop's loss: 1 / its noise level (see `weight`)

    def __call__(self, clean: torch.Tensor, seed: int) -> tuple[torch.Tensor, ...]:
        """C x H x W float crop in [0, 1] -> (input, target), both C x H x W float32, and with `balance` the crop's
        loss weight (a 1-element tensor); seeded, so a crop's pair depends on its key alone."""
        g = torch.Generator().manual_seed(seed)
        u = torch.rand(3, generator=g).tolist()
        c = clean[None].float()
        gray = c.shape[1] == 3 and u[0] < self.gray_share
        if gray:
            c = quantize((c * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)).expand(-1, 3, -1, -1)
        if self.dark_share and float(torch.rand(1, generator=g)) < self.dark_share:  # no draw without the share:
            lo, hi = self.dark_gamma  # older recipes make the same pairs as before
            c = c ** math.exp(float(torch.empty(1).uniform_(math.log(lo), math.log(hi), generator=g)))
        if self.zoom_share and float(torch.rand(1, generator=g)) < self.zoom_share:
            c = zoom(c, self.zoom_max, g)
        noise = self.noise.pick(g)  # of a mixture, one kind for the input and the target alike
        target = noise.add(c, g, shared=gray)
        inp = quantize(c) if u[1] < self.clean_share else quantize(noise.add(c, g, shared=gray))
        camera = noise.kind in PHOTO_KINDS  # a camera's photos are mostly JPEG, at its own qualities
        if u[2] < (defaults.CAMERA_JPEG_SHARE if camera else self.jpeg_share):
            lo, hi = defaults.CAMERA_JPEG_QUALITY if camera else self.jpeg_quality
            quality = int(torch.randint(lo, hi + 1, (1,), generator=g))
            inp = jpeg(inp[:, :1] if gray else inp, quality).expand_as(inp)
        if self.balance:
            return inp[0].contiguous(), target[0], weight(inp - c, target - c)
        return inp[0].contiguous(), target[0]


def zoom(c: torch.Tensor, most: float, g: torch.Generator) -> torch.Tensor:
    """A random part of the 1 x C x H x W crop `c`, enlarged 1 to `most` times (log-uniform, bicubic) back to H x W.

    Training photos are downscaled (BSDS500: 481 x 321), so neighbouring pixels differ as much as the scene's
    detail allows; a full-size camera photo is smoother from pixel to pixel (optics, demosaicing), which is where
    a photo's correlated noise can be told from detail. Enlarged crops show the network such photos."""
    h, w = c.shape[-2:]
    factor = math.exp(float(torch.empty(1).uniform_(0.0, math.log(most), generator=g)))
    ph, pw = max(2, round(h / factor)), max(2, round(w / factor))
    y = int(torch.randint(0, h - ph + 1, (1,), generator=g))
    x = int(torch.randint(0, w - pw + 1, (1,), generator=g))
    part = c[..., y : y + ph, x : x + pw]
    return torch.nn.functional.interpolate(part, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)


def weight(input_noise: torch.Tensor, target_noise: torch.Tensor) -> torch.Tensor:
    """A crop's loss weight, inversely proportional to its noise level (the rms of the input's and the target's noise,
    plus defaults.BALANCE_FLOOR): a denoiser's error grows about in proportion to the noise, so this gives weak noise
    as much say in training as strong noise has, as an average PSNR over levels does. Unweighted, a crop with noise
    of 50 levels weighs about 280 times one with 3 levels, and a blind model learns to leave weak noise alone. The
    weight depends on the noise's overall level, not on its sign at any pixel, so the weighted loss is still
    minimised by the clean crop (the target's noise stays zero-mean under it)."""
    level = ((input_noise.square().mean() + target_noise.square().mean()) / 2).sqrt()
    return (defaults.BALANCE_LEVEL / (level + defaults.BALANCE_FLOOR)).reshape(1)


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """1 x C x H x W in [0, 1] (8-bit levels) -> the same after a JPEG round trip at `quality` (4:2:0 for colour,
    Pillow's default, like most cameras)."""
    a = np.rint(x[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a[..., 0] if a.shape[2] == 1 else a).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        b = np.asarray(im.convert("L" if a.shape[2] == 1 else "RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(b.reshape(a.shape)).permute(2, 0, 1)[None]
