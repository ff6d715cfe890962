"""Fit the default colour model to one camera from its noisy photos alone by Noisier2Noise (Moran et al., CVPR 2020)
with noise modelled on the photos themselves: does it beat the default on that camera? (Issue 35, item 3: +0.5 dB on
a held-out polyu_dev camera in 15 CPU minutes.)

The camera's noise model is measured where its photos are flat (the estimator's flat 8 x 8 blocks, each channel's
plane taken out): the 3 x 3 colour covariance of the noise, its level by brightness, and the correlation between
neighbouring pixels, matched by blurring white noise with a Gaussian whose width gives the same measured
correlation. Noise drawn from that model (n') is added to a photo (y = x + n): the network learns y + n' -> y.
When n' is distributed as n, E[x | z] = 2 E[y | z] - z for z = y + n', so a photo is denoised as 2 f(y + n') -
(y + n'), averaged over draws of n' ("noisier"); "as clean" is f(y) itself (Noisy-As-Clean, Xu et al. 2020).
Correlated noise is no obstacle here, as it is to Neighbor2Neighbor, as long as the model of it is right.

    python -m experiments.noisier_fit --camera Sony --steps 300 --every 100

Prints the gain over the noisy input (dB, against the camera's means in polyu_dev) of the default model, and of the
fitted model both ways, and the CPU seconds of the fit.
"""

from __future__ import annotations

import argparse
import copy
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.common import REPO
from experiments.camera_shots import camera_shots, psnr, quantize, random_crops, through_shuffle_route
from n2n_cli.models.bundled import load_model
from n2n_cli.noise.estimate import _SELECTION_BIAS, BANDS, YCC, _blocks, _plane_residual, estimate_noise


def gaussian_kernel(sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return torch.ones(1)
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur(w: torch.Tensor, sigma: float) -> torch.Tensor:
    """N x C x H x W white noise blurred by a separable Gaussian, rescaled to unit variance."""
    k = gaussian_kernel(sigma)
    if len(k) == 1:
        return w
    c, r = w.shape[1], len(k) // 2
    w = F.conv2d(F.pad(w, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    w = F.conv2d(F.pad(w, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return w / float(k.square().sum())  # separable: variance scales by sum(k^2) twice, sqrt of it per axis


def block_correlation(res: np.ndarray) -> float:
    """Mean neighbour correlation (across and down) of k x B x B residuals, as the estimator measures it."""
    var = (res**2).mean((1, 2)) + 1e-12
    across = (res[:, :, 1:] * res[:, :, :-1]).mean((1, 2)) / var
    down = (res[:, 1:, :] * res[:, :-1, :]).mean((1, 2)) / var
    return float(np.mean((across + down) / 2))


class CameraNoise:
    """A camera's noise measured on its photos (H x W x 3 float32 in 0-1): colour covariance, level by brightness
    (luma), neighbour correlation (matched by a blur width)."""

    def __init__(self, photos: list[np.ndarray]):
        res, bright = [], []
        for x in photos:
            est = estimate_noise(x)
            b = _blocks(x, est.corners).astype(np.float32) * 255  # k x B x B x 3
            res.append(np.stack([_plane_residual(b[..., c]) for c in range(3)], -1))
            bright.append(b.mean((1, 2)) @ YCC[0])
        r, lum = np.concatenate(res), np.concatenate(bright)
        flat = r.reshape(-1, 3)
        # 8-bit levels^2, RGB; the flattest blocks' variance lies below the noise's: the estimator's correction
        self.cov = (flat.T @ flat / len(flat) / _SELECTION_BIAS).astype(np.float32)
        luma = r @ YCC[0]
        self.level = math.sqrt(float((luma**2).mean()) / _SELECTION_BIAS)
        self.bands = []  # (band centre, luma level) where there are enough blocks
        for lo, hi in zip(BANDS, BANDS[1:]):
            sel = (lum >= lo) & (lum < hi)
            if sel.sum() >= 16:
                self.bands.append(((lo + hi) / 2, math.sqrt(float((luma[sel] ** 2).mean()) / _SELECTION_BIAS)))
        self.correlation = block_correlation(luma)
        self.sigma = self._blur_for(self.correlation)

    @staticmethod
    def _blur_for(target: float) -> float:
        """The blur width whose blurred white noise, measured in plane-fitted 8 x 8 blocks, has `target` correlation."""
        g = torch.Generator().manual_seed(0)
        best, best_err = 0.0, float("inf")
        for s in np.arange(0.0, 2.01, 0.05):
            w = blur(torch.randn(1, 1, 256, 256, generator=g), float(s))[0, 0].numpy()
            blocks = w[: 256 // 8 * 8].reshape(32, 8, 32, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
            err = abs(block_correlation(_plane_residual(blocks)) - target)
            if err < best_err:
                best, best_err = float(s), err
        return best

    def draw(self, y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Noise for N x 3 x H x W photos `y` (0-1): the colour covariance, blurred, scaled by brightness."""
        n, _, h, w = y.shape
        white = blur(torch.randn(n, 3, h, w, generator=g), self.sigma)
        chol = torch.from_numpy(np.linalg.cholesky(self.cov + 1e-6 * np.eye(3)).astype(np.float32))
        noise = torch.einsum("ij,njhw->nihw", chol, white) / 255
        if len(self.bands) >= 2:
            centres = torch.tensor([c for c, _ in self.bands])
            levels = torch.tensor([v for _, v in self.bands]) / self.level
            luma = (y * torch.tensor(YCC[0]).view(1, 3, 1, 1)).sum(1, keepdim=True) * 255
            luma = F.avg_pool2d(F.pad(luma, (3, 3, 3, 3), mode="replicate"), 7, stride=1)
            scale = torch.from_numpy(np.interp(luma.numpy(), centres.numpy(), levels.numpy()).astype(np.float32))
            noise = noise * scale
        return noise


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--camera", default="Sony", help="the photos whose names start with this")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--draws", type=int, default=4, help="draws of n' averaged when denoising the noisier way")
    ap.add_argument("--scale", type=float, default=1.0, help="n' std against the measured model's")
    ap.add_argument("--shuffle", action="store_true", help="also score both models on the pixel-shuffle route")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    shots, means = camera_shots(a.data, a.camera)
    t0 = time.process_time()
    model = CameraNoise([s[0].permute(1, 2, 0).numpy() for s in shots])
    print(
        f"{len(shots)} photos of {a.camera}: noise luma {model.level:.2f} levels, correlation {model.correlation:.2f}"
        f" (blur {model.sigma:.2f} px), by brightness {[(int(c), round(v, 2)) for c, v in model.bands]}"
    )
    base, _ = load_model(None)
    base.eval()
    net = copy.deepcopy(base).train()
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    g = torch.Generator().manual_seed(a.seed)

    def report(step: int) -> None:
        net.eval()
        keys = ("default", "as clean", "noisier", "default, shuffle", "as clean, shuffle")
        rows: dict[str, list[float]] = {k: [] for k in keys}
        ge = torch.Generator().manual_seed(1)
        with torch.inference_mode():
            for x, ref in zip(shots, means):
                noisy = psnr(x, ref)
                rows["default"].append(psnr(quantize(base(x)), ref) - noisy)
                rows["as clean"].append(psnr(quantize(net(x)), ref) - noisy)
                est = torch.zeros_like(x)
                for _ in range(a.draws):
                    z = x + a.scale * model.draw(x, ge)
                    est += 2 * net(z) - z
                rows["noisier"].append(psnr(quantize(est / a.draws), ref) - noisy)
                if a.shuffle:
                    rows["default, shuffle"].append(psnr(quantize(through_shuffle_route(base, x)), ref) - noisy)
                    rows["as clean, shuffle"].append(psnr(quantize(through_shuffle_route(net, x)), ref) - noisy)
        print(f"step {step}: " + ", ".join(f"{k} {np.mean(v):+.2f}" for k, v in rows.items() if v), flush=True)
        net.train()

    for step in range(a.steps):
        if step % a.every == 0:
            report(step)
        y = torch.cat(random_crops(shots, a.batch, a.crop, g))
        z = y + a.scale * model.draw(y, g)
        loss = F.mse_loss(net(z), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"fit: {a.steps} steps, {time.process_time() - t0:.0f} CPU s (noise model included)")
    report(a.steps)


if __name__ == "__main__":
    main()
