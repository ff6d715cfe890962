"""Image quality metrics: pure functions on tensors, with a clean reference (psnr) or from noisy pairs alone."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def psnr(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of N x C x H x W images in [0, 1]; identical images give infinity (printed "inf", and
    "inf" in JSON: io/json_values.py)."""
    mse = ((x.double() - ref.double()) ** 2).flatten(1).mean(1)
    return 10.0 * torch.log10(1.0 / mse)  # 1 / 0 = inf: identical images


def quantize_to(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Round to what a file of `bits` bits per sample stores: the output the user actually gets (32: float)."""
    if bits >= 32:
        return x.clamp(0, 1)
    peak = float(2**bits - 1)
    return torch.round(x.clamp(0, 1) * peak) / peak


# --- quality from noisy pairs, without a clean image ----------------------------------------------------------------
#
# For two captures x1 = y + n1 and x2 = y + n2 of one scene y, with noise independent of each other (and of f(x1)'s
# error) and zero-mean: E|x1 - x2|^2 = E|n1|^2 + E|n2|^2, and E|f(x1) - x2|^2 = E|f(x1) - y|^2 + E|n2|^2. With equal
# noise levels E|n|^2 = E|x1 - x2|^2 / 2, which gives the error of the noisy input and of the output against y.


def pair_difference(x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """Per-image mean of (x1 - x2)^2 over all samples (N x C x H x W, float64)."""
    return ((x1.double() - x2.double()) ** 2).flatten(1).mean(1)


def structure_share(x1: torch.Tensor, x2: torch.Tensor, block: int) -> torch.Tensor:
    """Per image: the share of the energy of x1 - x2 that independent noise cannot explain, from the difference's
    means over `block` x `block` blocks. Noise without spatial correlation leaves a block mean 1/block^2 of its
    energy; a difference u that is smooth over a block keeps its energy there. So with d = u + n, E[m^2] - E[d^2] /
    block^2 = E[u^2] (1 - 1/block^2), and the share is E[u^2] / E[d^2]: near 0 for two captures of one scene, a large
    part of 1 for two different scenes. Images smaller than a block use their size; 1-pixel images give 0."""
    d = x1.double() - x2.double()
    b = min(block, d.shape[-2], d.shape[-1])
    if b < 2:
        return torch.zeros(d.shape[0], dtype=torch.float64)
    m = F.avg_pool2d(d, b)
    inner = d[..., : m.shape[-2] * b, : m.shape[-1] * b]  # the pixels the blocks cover
    total = (inner**2).flatten(1).mean(1)
    low = (m**2).flatten(1).mean(1)
    share = (low - total / b**2) / (total * (1 - 1 / b**2)).clamp_min(1e-20)
    return share.clamp(0.0, 1.0)


def share_limit(tolerance_db: float) -> float:
    """The structure share at which the noise estimate, inflated by a factor 1 / (1 - share), puts the estimated PSNR
    of the noisy input `tolerance_db` below the truth."""
    return 1.0 - 10.0 ** (-tolerance_db / 10.0)


def psnr_of_mse(mse: float) -> float:
    """PSNR in dB of a mean squared error on [0, 1] data (infinity for 0, as `psnr`)."""
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


@dataclass(frozen=True)
class PairEstimate:
    """Errors against the unknown clean image, estimated from noisy pairs (means over all samples, [0, 1] scale)."""

    noise_mse: float  # E|n|^2 of one capture: the noisy input's error
    output_mse: float | None = None  # E|f(x1) - y|^2, when a model's output was scored

    @property
    def input_psnr(self) -> float:
        return psnr_of_mse(self.noise_mse)

    @property
    def psnr(self) -> float | None:
        return None if self.output_mse is None or self.output_mse <= 0 else psnr_of_mse(self.output_mse)

    @property
    def sigma(self) -> float:
        """Noise standard deviation on the 0-255 scale."""
        return math.sqrt(self.noise_mse) * 255.0


def estimate_from_pairs(difference_mse: float, output_mse: float | None = None) -> PairEstimate:
    """`difference_mse`: mean of (x1 - x2)^2; `output_mse`: mean of (f(x1) - x2)^2 (None: no model)."""
    noise = difference_mse / 2.0
    return PairEstimate(noise, None if output_mse is None else output_mse - noise)
