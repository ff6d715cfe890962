"""One polyu_dev camera's noisy shots and their means as N x 3 x H x W tensors in 0-1, random training crops of the
shots, and the score of a result against a mean: what the per-camera fitting experiments share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from n2n_cli.inference.route import shuffle_route
from n2n_cli.io import list_images, read_image
from n2n_cli.noise.estimate import estimate_noise


def load(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.array(read_image(path))).permute(2, 0, 1)[None].float() / 255


def camera_shots(data: Path, camera: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The noisy shots whose names start with `camera`, and their means."""
    names = [p for p in list_images(data / "noisy") if p.name.startswith(camera)]
    return [load(p) for p in names], [load(data / "mean" / p.name) for p in names]


def random_crops(shots: list[torch.Tensor], batch: int, crop: int, g: torch.Generator) -> list[torch.Tensor]:
    """`batch` crops of `crop` x `crop` from random shots at random places, each turned a random quarter."""
    crops = []
    for _ in range(batch):
        x = shots[int(torch.randint(len(shots), (1,), generator=g))]
        y0 = int(torch.randint(0, x.shape[2] - crop + 1, (1,), generator=g))
        x0 = int(torch.randint(0, x.shape[3] - crop + 1, (1,), generator=g))
        turns = int(torch.randint(4, (1,), generator=g))
        crops.append(torch.rot90(x[..., y0 : y0 + crop, x0 : x0 + crop], turns, (2, 3)))
    return crops


def quantize(t: torch.Tensor) -> torch.Tensor:
    """A result as it would be written in 8 bits."""
    return (t.clamp(0, 1) * 255).round() / 255


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / ((a.double() - b.double()) ** 2).mean()))


def through_shuffle_route(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`net` on a 1 x 3 x H x W shot by `n2n denoise --route shuffle`: its pixel-shuffled sub-images, then the whole,
    kept where the result is smooth (n2n_cli/inference/route.py)."""

    def whole(a: np.ndarray) -> np.ndarray:
        return net(torch.from_numpy(a).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()

    image = np.ascontiguousarray(x[0].permute(1, 2, 0).numpy())
    level = estimate_noise(image).level / 255.0
    out = shuffle_route(whole, image, whole(image), level)
    return torch.from_numpy(out).permute(2, 0, 1)[None]
