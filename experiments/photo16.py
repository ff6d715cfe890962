"""Do 16-bit colour photos denoise as well as their 8-bit files? (defaults.NORM_PHOTO, io/normalize.py.)

A photographer's raw converter writes 16-bit TIFFs and PNGs. n2n maps every file that is not 8-bit by its own
0.01-99.95 percentile range (the rule chosen for microscopy: 12-bit data in 16-bit containers, a camera's offset);
a photo that leaves part of its range unused is then stretched, and the network sees its noise stronger than it is.
Since 0.10 a colour file of unsigned integers whose high percentile reaches NORM_PHOTO of its type's maximum is
mapped by its type's range instead, as 8-bit files are.

polyu_dev's noisy photos (every `--every`th), each as it is (8-bit) and as 16-bit samples (x 257: the full range;
and x 257 x each `--dim`: dark exports that use part of it), are denoised by `n2n denoise`'s default route and by the
plain route, with the rule now and with the percentile rule for every file (photo = None: n2n 0.9); each output is
brought back to 8 bits (divided by the same factor, rounded) and scored against the photo's mean of ~500 shots.

With --gray, the photos are first made gray (Pillow's convert("L"), as polyu_dev is made gray elsewhere): a gray
16-bit file keeps the percentile range under either rule (a gray file cannot be told from a microscopy capture).

    python -m experiments.photo16 --every 6
    python -m experiments.photo16 --every 6 --gray
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from n2n_cli.inference import make_denoiser
from n2n_cli.io import list_images, read_image


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def load(path: Path, gray: bool) -> np.ndarray:
    """An 8-bit photo as H x W x C; with `gray`, through Pillow's convert("L") (H x W x 1)."""
    if not gray:
        return read_image(path)
    from PIL import Image

    return np.asarray(Image.open(path).convert("L"))[..., None]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--every", type=int, default=6, help="every Nth photo of polyu_dev")
    ap.add_argument("--gray", action="store_true", help="the photos made gray first")
    ap.add_argument("--dim", type=float, nargs="*", default=[0.4, 0.2], help="shares of the range dark variants use")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    photos = list_images(a.polyu / "noisy")[:: a.every]
    variants = {"8-bit": None, "16-bit (x 257)": 257.0} | {f"16-bit, {k:g} of the range": 257.0 * k for k in a.dim}
    rows = []
    for route in ("auto", "plain"):
        d = make_denoiser(None, torch.device("cpu"), route=route)
        now = d.normalization
        for rule_name, rule in (("now", now), ("percentile (0.9)", replace(now, photo=None))):
            d.normalization = rule
            for name, factor in variants.items():
                if factor is None and rule_name != "now":
                    continue  # 8-bit files take x / 255 under either rule
                gains, bumps = [], 0
                for p in photos:
                    noisy, mean = (load(f, a.gray) for f in (p, a.polyu / "mean" / p.name))
                    x = noisy if factor is None else np.round(noisy.astype(np.float64) * factor).astype(np.uint16)
                    y = d(x)
                    y8 = y if factor is None else np.clip(np.round(y.astype(np.float64) / factor), 0, 255)
                    gains.append(psnr(y8, mean) - psnr(noisy, mean))
                    bumps += d.report is not None and d.report.route != "plain"
                rows.append((route, rule_name, name, float(np.mean(gains)), bumps))
                print(f"  {route}, {rule_name}, {name}: {rows[-1][3]:+.3f} dB", flush=True)
    made = " made gray" if a.gray else ""
    print(f"\npolyu_dev{made}, {len(photos)} photos (every {a.every}th): gain over the noisy photo, dB (per photo)")
    print("| route | rule | file | gain dB | took the camera model |")
    print("|---|---|---|---|---|")
    for route, rule_name, name, gain, bumps in rows:
        print(f"| {route} | {rule_name} | {name} | {gain:+.3f} | {bumps} |")


if __name__ == "__main__":
    main()
