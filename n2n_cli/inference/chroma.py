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


def _fine(plane: torch.Tensor) -> float:
    """The mean energy of an H x W plane's detail finer than defaults.CHROMA_FINE pixels."""
    return float(((plane - _blur(plane[None], defaults.CHROMA_FINE)[0]) ** 2).mean())


def hold_chroma(image: np.ndarray, budget: float = defaults.CHROMA_BUDGET) -> tuple[np.ndarray, float]:
    """An H x W x 3 float32 image (the network's range) with its chroma's fine detail held to `budget` times its
    luma's, and the share of the chroma's fine detail kept (1: the image as it was, the same array)."""
    planes = (torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)) @ _TO_YCC.T).permute(2, 0, 1)
    luma, chroma = _fine(planes[0]), _fine(planes[1]) + _fine(planes[2])  # plane by plane: bounded memory
    if chroma <= budget * luma:
        return image, 1.0
    keep = math.sqrt(budget * luma / chroma)
    for plane in planes[1:]:
        low = _blur(plane[None], defaults.CHROMA_BLUR)[0]
        plane -= low
        plane *= keep
        plane += low
    return (planes.permute(1, 2, 0) @ _TO_RGB.T).numpy(), keep
