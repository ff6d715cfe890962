"""Synthetic noise models, parsed from specs like `gaussian:25`, `gaussian:5-50`, `poisson:30` or `mix:0-50`.

A noisy *file* follows the measurement protocol (docs/benchmarks.md): noise added to an image in [0, 1], clipped to
[0, 1] and rounded to 8 bits, which is what a user's noisy PNG looks like. A training *target* may stay unclipped and
unrounded (`Noise.add`): its mean is then exactly the clean image, also near black and white, where the mean of a
clipped noisy pixel is not. Levels are drawn per image, so a range gives a blind model.
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
        """A noisy copy of `clean` (N x C x H x W, float in [0, 1]) as a file holds it: clipped, rounded to 8 bits."""
        return quantize(self.add(clean, generator))

    def add(self, clean: torch.Tensor, generator: torch.Generator | None = None, shared: bool = False) -> torch.Tensor:
        """`clean` plus noise, neither clipped nor rounded. `shared`: the same noise in every channel (a gray image
        stored as RGB)."""
        n = clean.shape[0]
        dev = clean.device
        shape = (clean.shape[0], 1, *clean.shape[2:]) if shared else clean.shape
        base = clean[:, :1] if shared else clean

        def levels() -> torch.Tensor:
            u = torch.rand(n, 1, 1, 1, generator=generator, device=dev)
            return self.low + (self.high - self.low) * u

        def randn() -> torch.Tensor:
            return torch.randn(shape, generator=generator, device=dev, dtype=clean.dtype)

        if self.kind == "gaussian":
            return clean + levels() / 255.0 * randn()
        if self.kind == "poisson":
            lam = levels()
            return clean + (torch.poisson(base * lam, generator=generator) / lam - base)
        sigma = levels() / 255.0  # mix
        gauss = sigma * randn()
        # Poisson-Gaussian: shot noise whose std at mid-grey equals sigma, plus a quarter of it as read noise
        lam = 0.5 / sigma.clamp_min(1.0 / 255.0) ** 2
        shot = torch.poisson(base * lam, generator=generator) / lam - base + 0.25 * sigma * randn()
        pick = torch.rand(n, 1, 1, 1, generator=generator, device=dev) < 0.5
        return clean + torch.where(pick, gauss, shot)


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
    if not (0 <= low <= high < float("inf")) or (kind == "poisson" and low <= 0):
        raise ValueError(f"bad noise level in {spec!r}: need 0 <= low <= high (and a positive poisson peak)")
    return Noise(kind, low, high)
