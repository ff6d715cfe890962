"""Does a photo cut off its JPEG block grid lose its denoising, and does finding the grid give it back? By hand, not
in CI.

Each `polyu_dev` shot and its mean are cut by the same (rows, columns) at the top left (and, for `odd`, 3 more
at the bottom right, so the size is not whole blocks): what a crop saved as PNG or TIFF holds. The auto route's
PSNR against the mean is measured as shipped (the grid found and put back where the models learned it:
inference/grid.py) and with the grid left where it is, per cut. Then, for the standard sets (clean and noisy CBSD68
and FMD captures as PNG, CBSD68 saved as JPEG), how many images the grid search moves at all.

    python -m experiments.grid_phase
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import n2n_cli.inference.grid as grid
from benchmarks.common import REPO
from benchmarks.quality import real_pairs
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.io import list_images

CUTS = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (0, 3), (5, 0))


def psnr(a: np.ndarray, ref: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(np.float64) - ref.astype(np.float64)) ** 2)))


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=quality)
    return np.array(Image.open(buf))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--fmd", type=Path, default=REPO / "data/real/fmd_confocal_bpae_b")
    ap.add_argument("--every", type=int, default=2, help="every Nth polyu_dev shot")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    denoise = make_denoiser(None, torch.device("cpu"), route="auto")
    found = grid.grid_pads

    print("| cut (rows, cols) | bottom right | shots | noisy dB | grid left dB | grid found dB | change dB | lowest |")
    print("|---|---|---|---|---|---|---|---|")
    pairs = [(np.asarray(n), np.asarray(r)) for _, n, r in real_pairs(a.polyu, None)][:: a.every]
    for odd in (0, 3):
        for dy, dx in CUTS:
            rows = []
            for noisy, ref in pairs:
                h, w = noisy.shape[:2]
                x, r = noisy[dy : h - odd, dx : w - odd], ref[dy : h - odd, dx : w - odd]
                grid.grid_pads = lambda image: None
                left = psnr(denoise(x), r)
                grid.grid_pads = found
                rows.append((psnr(x, r), left, psnr(denoise(x), r)))
            m = np.array(rows)
            change = m[:, 2] - m[:, 1]
            print(
                f"| {dy}, {dx} | {odd} | {len(m)} | {m[:, 0].mean():.2f} | {m[:, 1].mean():.2f} | {m[:, 2].mean():.2f} "
                f"| {change.mean():+.3f} | {change.min():+.3f} |"
            )

    print("\n| images | count | grid moved |\n|---|---|---|")
    rng = np.random.default_rng(0)
    sets: dict[str, list[np.ndarray]] = {}
    for p in list_images(a.cbsd68):
        clean = np.array(Image.open(p).convert("RGB"))
        noisy = np.clip(np.round(clean + rng.normal(0, 25, clean.shape)), 0, 255).astype(np.uint8)
        sets.setdefault("CBSD68 clean PNG", []).append(clean)
        sets.setdefault("CBSD68 sigma 25 PNG", []).append(noisy)
        for q in (75, 90):
            sets.setdefault(f"CBSD68 clean JPEG q{q}", []).append(jpeg(clean, q))
            sets.setdefault(f"CBSD68 sigma 25 JPEG q{q}", []).append(jpeg(noisy, q))
    sets["FMD captures (PNG)"] = [np.array(Image.open(p))[..., None] for p in sorted(a.fmd.glob("raw/*/*.png"))[::5]]
    for name, images in sets.items():
        print(f"| {name} | {len(images)} | {sum(found(im) is not None for im in images)} |")


if __name__ == "__main__":
    main()
