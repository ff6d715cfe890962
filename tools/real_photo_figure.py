"""The README's picture of a real noisy photo: a crop of the noisy shot, what `n2n denoise` makes of it (the default
route, no --model) and the reference (the mean of about 500 shots), side by side and enlarged, each with its PSNR
against the reference over the whole photo.

    python -m tools.real_photo_figure data/real/polyu_dev/noisy/Sony_4-5_125_6400_waterhouse_10.jpg \\
        --reference data/real/polyu_dev/mean/Sony_4-5_125_6400_waterhouse_10.jpg --box 0,110,220 \\
        --out docs/real-photo.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from n2n_cli.evaluation.metrics import psnr_of_mse
from n2n_cli.inference import make_denoiser
from n2n_cli.io import read_image


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of two 8-bit images."""
    return psnr_of_mse(float(np.mean((a.astype(np.float64) - b) ** 2)) / 255.0**2)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("noisy", type=Path)
    ap.add_argument("--reference", type=Path, required=True)
    ap.add_argument("--box", default="0,0,160", help="X,Y,SIDE of the crop shown (pixels of the photo)")
    ap.add_argument("--zoom", type=int, default=2, help="enlargement (nearest neighbour), so the grain shows")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    noisy, ref = read_image(a.noisy), read_image(a.reference)
    out = make_denoiser(None, torch.device("cpu"))(noisy)  # the default route, as `n2n denoise` with no --model
    x, y, side = (int(v) for v in a.box.split(","))
    panels = [("noisy shot", noisy), ("n2n denoise", out), ("reference (mean of ~500)", ref)]
    tiles = []
    for title, img in panels:
        crop = Image.fromarray(img[y : y + side, x : x + side]).resize((side * a.zoom,) * 2, Image.NEAREST)
        label = title if img is ref else f"{title}: {_psnr(img, ref):.2f} dB"
        canvas = Image.new("RGB", (crop.width, crop.height + 18), "white")
        canvas.paste(crop, (0, 18))
        ImageDraw.Draw(canvas).text((4, 3), label, fill="black")
        tiles.append(canvas)
    sheet = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
    for k, t in enumerate(tiles):
        sheet.paste(t, (k * (t.width + 8), 0))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out, optimize=True)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
