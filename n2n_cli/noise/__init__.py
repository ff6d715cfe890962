"""Synthetic noise: the noise models (`gaussian:25`, `poisson:30`, `mix:0-50`, `camera`, and mixtures of them), a
camera photo's noise (camera), and the recipe that turns a clean crop into a training pair (recipe)."""

from .model import KINDS, AnyNoise, Noise, NoiseMix, noise_from_config, parse_noise, quantize
from .recipe import LUMA, PairRecipe, jpeg

__all__ = [
    "KINDS",
    "LUMA",
    "AnyNoise",
    "Noise",
    "NoiseMix",
    "PairRecipe",
    "jpeg",
    "noise_from_config",
    "parse_noise",
    "quantize",
]
