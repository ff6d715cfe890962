"""Synthetic noise models, parsed from specs like `gaussian:25`, `gaussian:5-50`, `poisson:30`, `mix:0-50` or
`camera:1-10`, and mixtures of them (`gaussian:0-55,camera:1-10`: each image takes one, at random).

A noisy *file* follows the measurement protocol (docs/benchmarks.md): noise added to an image in [0, 1], clipped to
[0, 1] and rounded to 8 bits, which is what a user's noisy PNG looks like. A training *target* may stay unclipped and
unrounded (`Noise.add`): its mean is then exactly the clean image, also near black and white, where the mean of a
clipped noisy pixel is not. Levels are drawn per image, so a range gives a blind model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import torch

from .. import defaults
from .camera import camera_noise
from .raw import raw_noise

CAMERA_KINDS = ("camera", "camera+edges")  # camera.py's noise, without and with its variation at edges
PHOTO_KINDS = (*CAMERA_KINDS, "raw")  # a camera's processed noise (raw.py: made at the sensor): saved as JPEG mostly
KINDS = ("gaussian", "poisson", "mix", *PHOTO_KINDS)
DEFAULT_LEVELS = {"camera": defaults.CAMERA_LEVELS, "camera+edges": defaults.CAMERA_LEVELS, "raw": defaults.RAW_LEVELS}


@dataclass(frozen=True)
class Noise:
    """kind: gaussian (level = sigma on the 0-255 scale), poisson (level = peak photon count lambda), mix (per
        image: half Gaussian with sigma in the range, half Poisson-Gaussian with the same read-noise range and a photon
        count giving comparable strength), or camera (a processed camera photo's noise, camera.py: level = the std of
        its luma part where it is strongest, on the 0-255 scale; camera+edges adds its variation at edges), or raw (a
    camera's noise made at its sensor and processed, raw.py: level = its luma std on mid-grey, 0-255). `low`..`high`
        is the range levels are drawn from, per image."""

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
        if self.kind in CAMERA_KINDS:
            return clean + camera_noise(clean, levels() / 255.0, generator, shared, self.kind == "camera+edges")
        if self.kind == "raw":
            return clean + raw_noise(clean, levels() / 255.0, generator, shared)
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

    def pick(self, generator: torch.Generator | None = None) -> Noise:
        """The noise model one image takes: this one (no random draw, so pairs made before mixtures stay the same)."""
        return self


@dataclass(frozen=True)
class NoiseMix:
    """Several noise models; each image takes one of them, with equal odds."""

    parts: tuple[Noise, ...]

    def __str__(self) -> str:
        return ",".join(map(str, self.parts))

    def pick(self, generator: torch.Generator | None = None) -> Noise:
        return self.parts[int(torch.randint(len(self.parts), (1,), generator=generator))]

    def __call__(self, clean: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return quantize(self.add(clean, generator))

    def add(self, clean: torch.Tensor, generator: torch.Generator | None = None, shared: bool = False) -> torch.Tensor:
        return torch.cat([self.pick(generator).add(c[None], generator, shared) for c in clean])


AnyNoise = Union[Noise, NoiseMix]


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Clip to [0, 1] and round to the nearest 8-bit level."""
    return torch.round(x.clamp(0.0, 1.0) * 255.0) / 255.0


def parse_noise(spec: str) -> AnyNoise:
    """Parse `kind:level`, `kind:low-high` or `camera` / `camera+edges` / `raw` (their default levels), or several of
    them joined by commas (a mixture); raise ValueError with the accepted forms otherwise."""
    if "," in spec:
        parts = tuple(parse_noise(p) for p in spec.split(","))
        return NoiseMix(tuple(q for p in parts for q in (p.parts if isinstance(p, NoiseMix) else (p,))))
    kind, _, level = spec.strip().lower().partition(":")
    if kind in DEFAULT_LEVELS and not level:
        level = "-".join(f"{v:g}" for v in DEFAULT_LEVELS[kind])
    if kind not in KINDS or not level:
        raise ValueError(
            f"bad noise {spec!r}: use gaussian:SIGMA, gaussian:LOW-HIGH, poisson:PEAK, mix:LOW-HIGH, "
            "camera or camera:LOW-HIGH (camera+edges and raw likewise), or several joined by commas"
        )
    try:
        lo, _, hi = level.partition("-")
        low, high = float(lo), float(hi or lo)
    except ValueError:
        raise ValueError(f"bad noise level in {spec!r}: expected a number or a range like 5-50") from None
    if not (0 <= low <= high < float("inf")) or (kind == "poisson" and low <= 0):
        raise ValueError(f"bad noise level in {spec!r}: need 0 <= low <= high (and a positive poisson peak)")
    lo_peak, hi_peak = defaults.POISSON_PEAK
    if kind == "poisson" and not lo_peak <= low <= high <= hi_peak:
        raise ValueError(
            f"bad noise level in {spec!r}: a poisson peak (photons at white) lies in {lo_peak:g}-{hi_peak:g}; "
            "lower ones are noise no model can learn from, higher ones no noise at all"
        )
    if kind != "poisson" and high > defaults.NOISE_MAX:
        raise ValueError(
            f"bad noise level in {spec!r}: {kind} levels are on the 0-255 scale of the image, at most "
            f"{defaults.NOISE_MAX:g} (the whole range); beyond it no image is left to learn from"
        )
    return Noise(kind, low, high)


def noise_from_config(d: dict) -> AnyNoise:
    """The noise recorded in a checkpoint's config (`dataclasses.asdict` of a Noise or a NoiseMix)."""
    if "parts" in d:
        return NoiseMix(tuple(Noise(**p) for p in d["parts"]))
    return Noise(**d)
