"""Image quality metrics."""

from __future__ import annotations

import torch


def psnr(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of N x C x H x W images in [0, 1]; identical images give 100 dB (not infinity)."""
    mse = ((x.double() - ref.double()) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return 10.0 * torch.log10(1.0 / mse)


def quantize_to(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Round to what a PNG of `bits` bits per sample stores: the output the user actually gets."""
    peak = float(2**bits - 1)
    return torch.round(x.clamp(0, 1) * peak) / peak


def evaluate(denoiser, evalset) -> dict:
    """Mean per-image PSNR (dB) of the denoised output (rounded to the data's bit depth) and of the noisy input.

    `denoiser` is an infer.Denoiser; `evalset` a data.EvalSet. Returns {"psnr", "psnr_noisy", "count"} and the
    per-image values under "images" as (name, psnr_noisy, psnr).
    """
    from .data import to_unit

    rows = []
    if evalset.tensors is not None:
        noisy, clean = evalset.tensors
        for i in range(0, len(noisy), 1000):
            n, c = to_unit(noisy[i:i + 1000]), to_unit(clean[i:i + 1000])
            out = quantize_to(denoiser.predict(n), 8)
            rows += [(f"#{i + k}", a, b) for k, (a, b) in enumerate(zip(psnr(n, c).tolist(), psnr(out, c).tolist()))]
    else:
        for name, n, c, bits in evalset.images():
            out = quantize_to(denoiser.predict(n), bits)
            rows.append((name, psnr(n, c).item(), psnr(out, c).item()))
    count = len(rows)
    return {"psnr": sum(r[2] for r in rows) / count, "psnr_noisy": sum(r[1] for r in rows) / count,
            "count": count, "images": rows}
