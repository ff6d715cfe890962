"""Training objectives: what the network learns from a batch of the training source.

An objective is called as `objective(forward, batch, g, progress)`: `forward` runs the network (under the trainer's
autocast, float output), `batch` is what the source yields (on the device, augmented), `g` a generator for the
objective's own randomness (seeded per epoch and process, so a resumed run draws the same), and `progress` the
share of training done after this step (0 to 1). It returns the loss to minimise.

- `noise2noise`: batches (input, target) of two noisy captures (or synthetic copies): |f(x1) - x2|^2.
- `Neighbor2Neighbor` (Huang et al., CVPR 2021): batches (y,) of single noisy images. In every 2x2 cell two
  neighbouring pixels are drawn at random, giving two half-resolution sub-images g1(y), g2(y) whose noise is
  independent and whose clean content nearly matches; the loss is |f(g1) - g2|^2 + gamma |f(g1) - g2 - (g1(f(y)) -
  g2(f(y)))|^2, with f(y) computed without gradient. The regulariser corrects for the content the two sub-images do
  not share. gamma ramps linearly from 0 to `gamma` over the run, as in the authors' code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .. import defaults

Forward = Callable[[torch.Tensor], torch.Tensor]
Objective = Callable[[Forward, Sequence[torch.Tensor], torch.Generator, float], torch.Tensor]

# the pairs of edge-sharing pixels of a 2x2 cell (positions 0 1 / 2 3, row-major), in either order
NEIGHBOURS = ((0, 1), (0, 2), (1, 3), (2, 3), (1, 0), (2, 0), (3, 1), (3, 2))


def noise2noise(forward: Forward, batch: Sequence[torch.Tensor], g: torch.Generator, progress: float) -> torch.Tensor:
    """|f(x1) - x2|^2, averaged; with a third element, per-crop weights (N x 1), a weighted mean over the crops."""
    a, b, *w = batch
    if not w:
        return F.mse_loss(forward(a), b)
    return ((forward(a) - b).square().flatten(1).mean(1) * w[0].flatten()).mean()


def neighbour_masks(
    n: int, h: int, w: int, g: torch.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image and 2x2 cell of an H x W image (H, W even), the positions (0-3) of two different neighbouring
    pixels drawn at random: two N x 1 x H/2 x W/2 long tensors."""
    pick = torch.randint(0, len(NEIGHBOURS), (n, 1, h // 2, w // 2), generator=g, device=device)
    pairs = torch.tensor(NEIGHBOURS, device=device)[pick]
    return pairs[..., 0], pairs[..., 1]


def subsample(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """N x C x H x W -> N x C x H/2 x W/2: from each 2x2 cell the pixel at `positions` (the same in every channel)."""
    n, c, h, w = x.shape
    cells = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    return cells.gather(-1, positions.expand(n, c, -1, -1).unsqueeze(-1)).squeeze(-1)


@dataclass(frozen=True)
class Neighbor2Neighbor:
    gamma: float = defaults.NE2NE_GAMMA  # the regulariser's weight at the end of training

    def __call__(
        self, forward: Forward, batch: Sequence[torch.Tensor], g: torch.Generator, progress: float
    ) -> torch.Tensor:
        (y,) = batch
        h, w = y.shape[-2] // 2 * 2, y.shape[-1] // 2 * 2
        y = y[..., :h, :w]
        first, second = neighbour_masks(y.shape[0], h, w, g, y.device)
        with torch.no_grad():
            fy = forward(y)
        g1, g2 = subsample(y, first), subsample(y, second)
        diff = forward(g1) - g2
        reg = diff - (subsample(fy, first) - subsample(fy, second))
        return diff.pow(2).mean() + self.gamma * min(progress, 1.0) * reg.pow(2).mean()


def make_objective(single: bool) -> Objective:
    """Neighbor2Neighbor for single noisy images, Noise2Noise for pairs."""
    return Neighbor2Neighbor() if single else noise2noise
