"""Image quality metrics: pure functions on tensors."""

from __future__ import annotations

import torch


def psnr(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of N x C x H x W images in [0, 1]; identical images give 100 dB (not infinity)."""
    mse = ((x.double() - ref.double()) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return 10.0 * torch.log10(1.0 / mse)


def quantize_to(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Round to what a file of `bits` bits per sample stores: the output the user actually gets (32: float)."""
    if bits >= 32:
        return x.clamp(0, 1)
    peak = float(2**bits - 1)
    return torch.round(x.clamp(0, 1) * peak) / peak
