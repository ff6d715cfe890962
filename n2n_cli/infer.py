"""Tiled, batched prediction: memory is bounded by the tile, not by the image.

Tiles overlap by `overlap` pixels. At a tile's inner edges the first quarter of the overlap is ignored (it saw a
border that the full image does not have) and the rest is blended with a linear ramp, so seams do not show and a
model with a small receptive field gives the same result tiled as untiled.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch
from torch import nn

from . import defaults
from .imageio import split_alpha


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU; 'cuda' without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from .errors import UserError
        raise UserError("--device cuda: no CUDA device is available (use --device cpu or auto)")
    return torch.device(name)


def autocast(device: torch.device):
    """bf16 autocast on CUDA (tensor cores); fp32 elsewhere (CPUs without bf16 units gain nothing)."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()


def _ramp(n: int, overlap: int, start_inner: bool, end_inner: bool) -> np.ndarray:
    w = np.ones(n, np.float32)
    if overlap >= 4:
        margin = overlap // 4
        ramp = np.clip((np.arange(overlap, dtype=np.float32) - margin + 1) / (overlap - 2 * margin + 1), 0, 1)
        k = min(overlap, n)
        if start_inner:
            w[:k] = np.minimum(w[:k], ramp[:k])
        if end_inner:
            w[n - k:] = np.minimum(w[n - k:], ramp[:k][::-1])
    return w


def _starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    step = tile - overlap
    s = list(range(0, size - tile, step))
    return s + [size - tile]


class Denoiser:
    """Runs a model over images of any size, tile by tile, in batches of tiles."""

    def __init__(self, model: nn.Module, device: torch.device | None = None, tile: int = defaults.TILE,
                 overlap: int = defaults.OVERLAP, batch: int | None = None, gray_model: nn.Module | None = None):
        """`gray_model`, if given, takes the gray images (a colour model sees their noise identical in all three
        channels, which it was not trained on)."""
        if tile <= 2 * overlap:
            raise ValueError(f"tile ({tile}) must be larger than twice the overlap ({overlap})")
        self.device = device or next(model.parameters()).device
        self.model = model.to(device=self.device, memory_format=torch.channels_last).eval()
        self.channels = model.channels
        self.gray = gray_model.to(device=self.device, memory_format=torch.channels_last).eval() if gray_model else None
        cuda = self.device.type == "cuda"
        self.tile, self.overlap = tile, overlap
        self.batch = batch or (defaults.TILE_BATCH_CUDA if cuda else defaults.TILE_BATCH)

    @torch.inference_mode()
    def _run(self, tiles: list[np.ndarray], batch: int) -> list[np.ndarray]:
        """H x W x C float32 tiles (one size) -> model outputs, clamped to [0, 1]."""
        x = torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).to(self.device)
        out = []
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            if xb.shape[1] == 1 and self.gray is not None:
                yb = self._forward(xb, self.gray)
            elif xb.shape[1] != self.channels:  # gray image, colour model: replicate; colour image, gray model: per channel
                if self.channels == 3:
                    yb = self._forward(xb.expand(-1, 3, -1, -1)).mean(1, keepdim=True)
                else:
                    n, c, h, w = xb.shape
                    yb = self._forward(xb.reshape(n * c, 1, h, w)).reshape(n, c, h, w)
            else:
                yb = self._forward(xb)
            out.append(yb.float().clamp_(0, 1))
        return list(torch.cat(out).permute(0, 2, 3, 1).cpu().numpy())

    def _forward(self, x: torch.Tensor, model: nn.Module | None = None) -> torch.Tensor:
        with autocast(self.device):
            return (model or self.model)(x.contiguous(memory_format=torch.channels_last))

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Denoise an H x W x C image (uint8/uint16, or float in [0, 1]); alpha passes through; same dtype back."""
        color, alpha = split_alpha(image)
        peak = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
        out = np.empty_like(image)
        if alpha is not None:
            out[..., -1:] = alpha
        h, w, c = color.shape
        th, tw = min(self.tile, h), min(self.tile, w)
        ys, xs = _starts(h, th, self.overlap), _starts(w, tw, self.overlap)
        wx = [_ramp(tw, self.overlap, x > 0, x + tw < w) for x in xs]
        acc = np.zeros((0, w, c), np.float32)  # rows [lo, lo + len(acc)) still open to later tiles
        wsum = np.zeros((0, w, 1), np.float32)
        lo = 0
        for i, y in enumerate(ys):
            grow = y + th - lo - len(acc)
            if grow > 0:
                acc = np.concatenate([acc, np.zeros((grow, w, c), np.float32)])
                wsum = np.concatenate([wsum, np.zeros((grow, w, 1), np.float32)])
            wy = _ramp(th, self.overlap, y > 0, y + th < h)
            tiles = [color[y:y + th, x:x + tw].astype(np.float32) / peak for x in xs]
            for x, wxx, t in zip(xs, wx, self._run(tiles, self.batch)):
                wt = (wy[:, None] * wxx[None, :])[..., None]
                acc[y - lo:y - lo + th, x:x + tw] += t * wt
                wsum[y - lo:y - lo + th, x:x + tw] += wt
            done = (ys[i + 1] if i + 1 < len(ys) else h) - lo  # rows no later tile touches
            rows = acc[:done] / np.maximum(wsum[:done], 1e-12)
            out[lo:lo + done, :, :c] = rows if peak == 1.0 else np.clip(np.rint(rows * peak), 0, peak)
            acc, wsum, lo = acc[done:], wsum[done:], lo + done
        return out

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """N x C x H x W float in [0, 1] -> denoised, same shape. Small images go through in batches holding as many
        pixels as a batch of tiles; larger ones are tiled one by one."""
        n, c, h, w = x.shape
        if h <= self.tile and w <= self.tile:
            per_batch = max(1, self.batch * self.tile * self.tile // (h * w))
            imgs = x.permute(0, 2, 3, 1).float().cpu().numpy()
            out = [y for i in range(0, n, per_batch) for y in self._run(list(imgs[i:i + per_batch]), per_batch)]
            return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2)
        return torch.stack([torch.from_numpy(self(img.permute(1, 2, 0).float().cpu().numpy())).permute(2, 0, 1)
                            for img in x])


def make_denoiser(model: str | None, device: torch.device, tile: int = defaults.TILE) -> Denoiser:
    """A Denoiser for a model file or bundled name; None gives the bundled weights: the colour default, with the
    bundled gray model for gray images when it is there."""
    from .weights import bundled_dir, load_model

    net, _ = load_model(model)
    gray = None
    if model is None and (bundled_dir() / defaults.BUNDLED_GRAY).is_file():
        gray, _ = load_model(defaults.BUNDLED_GRAY)
    return Denoiser(net, device, tile=tile, gray_model=gray)
