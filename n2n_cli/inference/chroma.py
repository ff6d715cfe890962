"""The colour a camera's weak noise leaves at edges: a photo's colour carries far less fine detail than its luma (a
camera's JPEG even stores it at half resolution), noise's colour does not. Where the auto route takes an image for a
camera's weak noise (route.weak_boost), the default model takes most of its luma noise and leaves its chroma nearly
as it was (`python -m experiments.chroma_left`: on `polyu_dev`, chroma error at edges 3.82 and 3.55 levels^2 before,
3.48 and 3.63 after); so the output's chroma detail finer than CHROMA_FINE pixels is held to CHROMA_BUDGET times its
luma's, the excess taken by a CHROMA_BLUR-pixel blur. A clean photo's colour lies within the budget and is left
alone; so are gray images."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .. import defaults
from ..noise.estimate import YCC

_TO_YCC = torch.from_numpy(YCC.astype(np.float32))
_TO_RGB = torch.from_numpy(np.linalg.inv(YCC.astype(np.float64)).astype(np.float32))


def _blur(planes: torch.Tensor, sigma: float) -> torch.Tensor:
    """K x H x W planes blurred by a Gaussian of `sigma` pixels (separable; edges replicated)."""
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    x = F.pad(planes[:, None], (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    return F.conv2d(x, k.view(1, 1, -1, 1))[:, 0]


def _fine(planes: torch.Tensor) -> torch.Tensor:
    """Per plane, the mean energy of its detail finer than defaults.CHROMA_FINE pixels."""
    return ((planes - _blur(planes, defaults.CHROMA_FINE)) ** 2).mean((1, 2))


def hold_chroma(image: np.ndarray, budget: float = defaults.CHROMA_BUDGET) -> tuple[np.ndarray, float]:
    """An H x W x 3 float32 image (the network's range) with its chroma's fine detail held to `budget` times its
    luma's, and the share of the chroma's fine detail kept (1: the image as it was, the same array)."""
    ycc = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)) @ _TO_YCC.T  # H x W x 3
    planes = ycc.permute(2, 0, 1)
    energy = _fine(planes)
    luma, chroma = float(energy[0]), float(energy[1:].sum())
    if chroma <= budget * luma:
        return image, 1.0
    keep = math.sqrt(budget * luma / chroma)
    low = _blur(planes[1:], defaults.CHROMA_BLUR)
    planes[1:] = low + keep * (planes[1:] - low)
    return (ycc @ _TO_RGB.T).numpy(), keep
