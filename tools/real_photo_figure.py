"""The README's picture of a noisy photo: a crop of the noisy shot, what `n2n denoise` makes of it (the default
model and route) and the reference, side by side and enlarged, each with its PSNR against the reference over the
whole photo.

The committed figure is drawn from the phone-like example the project makes itself (examples/make_examples.py: a
picture drawn at a full-size photo's smoothness, a camera's noise made at a simulated sensor, JPEG):

    python -m tools.real_photo_figure examples/phone/noisy.jpg --reference examples/phone/clean.png \\
        --reference-label "clean (drawn)" --box 40,180,200 --out docs/real-photo.png

and from a real photo of PolyU (not shipped), against the mean of about 500 shots:

    python -m tools.real_photo_figure data/real/polyu_dev/noisy/Sony_4-5_125_6400_waterhouse_10.jpg \\
        --reference data/real/polyu_dev/mean/Sony_4-5_125_6400_waterhouse_10.jpg --box 0,110,220 \\
        --out real-photo.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from n2n_cli import defaults
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
    ap.add_argument("--reference-label", default="reference (mean of ~500)", help="what the reference is")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    noisy, ref = read_image(a.noisy), read_image(a.reference)
    out = make_denoiser(None, torch.device("cpu"), route=defaults.ROUTE)(noisy)  # as `n2n denoise`, no --model
    x, y, side = (int(v) for v in a.box.split(","))
    panels = [("noisy shot", noisy), ("n2n denoise", out), (a.reference_label, ref)]
    tiles = []
    for title, img in panels:
        crop = Image.fromarray(img[y : y + side, x : x + side]).resize((side * a.zoom,) * 2, Image.Resampling.NEAREST)
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
