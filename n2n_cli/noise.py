"""Synthetic noise models, parsed from specs like `gaussian:25`, `gaussian:5-50`, `poisson:30` or `mix:0-50`.

Noise follows the protocol of BENCHMARKS.md: add noise to an image in [0, 1], clip to [0, 1] and round to 8 bits,
which is what a user's noisy PNG looks like. Levels are drawn per image, so a range gives a blind model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

KINDS = ("gaussian", "poisson", "mix")


@dataclass(frozen=True)
class Noise:
    """kind: gaussian (level = sigma on the 0-255 scale), poisson (level = peak photon count lambda), or mix
    (per image: half Gaussian with sigma in the range, half Poisson-Gaussian with the same read-noise range and a
    photon count giving comparable strength). `low`..`high` is the range levels are drawn from, per image."""

    kind: str
    low: float
    high: float

    def __str__(self) -> str:
        level = f"{self.low:g}" if self.low == self.high else f"{self.low:g}-{self.high:g}"
        return f"{self.kind}:{level}"

    def __call__(self, clean: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Return a noisy copy of `clean` (N x C x H x W, float in [0, 1]), clipped and rounded to 8 bits."""
        n = clean.shape[0]
        dev = clean.device

        def levels() -> torch.Tensor:
            u = torch.rand(n, 1, 1, 1, generator=generator, device=dev)
            return self.low + (self.high - self.low) * u

        if self.kind == "gaussian":
            noisy = clean + levels() / 255.0 * _randn(clean, generator)
        elif self.kind == "poisson":
            lam = levels()
            noisy = torch.poisson(clean * lam, generator=generator) / lam
        else:  # mix
            sigma = levels() / 255.0
            gauss = clean + sigma * _randn(clean, generator)
            # Poisson-Gaussian: shot noise whose std at mid-grey equals sigma, plus a quarter of it as read noise
            lam = 0.5 / sigma.clamp_min(1.0 / 255.0) ** 2
            shot = torch.poisson(clean * lam, generator=generator) / lam + 0.25 * sigma * _randn(clean, generator)
            pick = torch.rand(n, 1, 1, 1, generator=generator, device=dev) < 0.5
            noisy = torch.where(pick, gauss, shot)
        return quantize(noisy)


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Clip to [0, 1] and round to the nearest 8-bit level."""
    return torch.round(x.clamp(0.0, 1.0) * 255.0) / 255.0


def parse_noise(spec: str) -> Noise:
    """Parse `kind:level` or `kind:low-high`; raise ValueError with the accepted forms otherwise."""
    kind, _, level = spec.strip().lower().partition(":")
    if kind not in KINDS or not level:
        raise ValueError(f"bad noise {spec!r}: use gaussian:SIGMA, gaussian:LOW-HIGH, poisson:PEAK or mix:LOW-HIGH")
    try:
        lo, _, hi = level.partition("-")
        low, high = float(lo), float(hi or lo)
    except ValueError:
        raise ValueError(f"bad noise level in {spec!r}: expected a number or a range like 5-50") from None
    if low < 0 or high < low or (kind == "poisson" and low <= 0):
        raise ValueError(f"bad noise level in {spec!r}: need 0 <= low <= high (and a positive poisson peak)")
    return Noise(kind, low, high)
