"""Synthetic noise: the noise models (`gaussian:25`, `poisson:30`, `mix:0-50`) and the recipe that turns a clean crop
into a training pair."""

from .model import KINDS, Noise, parse_noise, quantize
from .recipe import LUMA, PairRecipe, jpeg

__all__ = ["KINDS", "LUMA", "Noise", "PairRecipe", "jpeg", "parse_noise", "quantize"]
