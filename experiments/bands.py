"""Where a denoiser's error sits: squared error and signed bias per band of clean intensity. By hand, not in CI.

A PSNR is one number for the whole image; on fluorescence microscopy (a dark background, sparse bright structures,
noise that grows with the signal) it hides which part goes wrong. This splits the error of each method by the clean
pixel's 8-bit level, pooled over all images: the band's share of the pixels, its MSE (in 8-bit levels squared), its
mean signed error (negative: darker than the reference) and its part of the total MSE. Same protocol as quality.py
(8-bit outputs, seeded noise); FMD captures are scored against their field's avg50, real photos (`--real`) against
their mean. `--split gradient` splits by the quarter of the reference's gradient (Gaussian, 1.5 pixels) instead:
flat areas first, edges last, where a reference that is the mean of many shots is itself least sure.

    python -m experiments.bands --fmd data/real/fmd_confocal_bpae_b --models default,weights/fast-blind.pt
    python -m experiments.bands --sets set12:25 --models default,runs/gray.pt
    python -m experiments.bands --real data/real/polyu_dev --split gradient --models default,weights/fast-gaussian.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import REPO
from benchmarks.quality import Image, fmd_pairs, network, parse_sets, real_pairs, synthetic_pairs

BANDS = (0, 8, 20, 60, 256)  # edges, 8-bit levels of the clean image


def gradient_quarter(clean: np.ndarray) -> np.ndarray:
    """0-3 per pixel (per channel, like `clean`): the quarter of the image's gradient magnitude it lies in."""
    from scipy import ndimage  # the bench extra

    c = clean.astype(np.float64).reshape(clean.shape[0], clean.shape[1], -1)
    g = sum(ndimage.gaussian_gradient_magnitude(c[..., k], 1.5) for k in range(c.shape[-1]))
    q = np.digitize(g, np.percentile(g, (25, 50, 75)))
    return np.broadcast_to(q.reshape(q.shape + (1,) * (clean.ndim - 2)), clean.shape)


def band_table(name: str, pairs: list[tuple[str, Image, Image]], methods: list, split: str = "level") -> None:
    edges = list(zip(BANDS[:-1], BANDS[1:])) if split == "level" else [(q, q + 1) for q in range(4)]
    print(f"\n{name}: {len(pairs)} images\n")
    what = "clean levels" if split == "level" else "gradient quarter (flattest 0)"
    print(f"| method | {what} | pixels | MSE (levels^2) | bias (levels) | share of total MSE |")
    print("|---|---|---|---|---|---|")
    keys = [clean if split == "level" else gradient_quarter(clean) for _, _, clean in pairs]  # once, not per method
    for label, fn in methods:
        sq, err, count = np.zeros(len(edges)), np.zeros(len(edges)), np.zeros(len(edges))
        for (_, noisy, clean), key in zip(pairs, keys):
            d = fn(noisy, None).astype(np.float64) - clean
            for k, (lo, hi) in enumerate(edges):
                m = (key >= lo) & (key < hi)
                sq[k] += float((d[m] ** 2).sum())
                err[k] += float(d[m].sum())
                count[k] += int(m.sum())
        total = sq.sum() / count.sum()
        print(
            f"| {label} | all | 100% | {total:.2f} | {err.sum() / count.sum():+.2f} | pooled PSNR "
            f"{10 * np.log10(255**2 / total):.2f} dB |"
        )
        for k, (lo, hi) in enumerate(edges):
            if count[k]:
                band = f"{lo}-{hi - 1}" if split == "level" else str(lo)
                print(
                    f"| | {band} | {100 * count[k] / count.sum():.1f}% | {sq[k] / count[k]:.2f} | "
                    f"{err[k] / count[k]:+.2f} | {100 * sq[k] / sq.sum():.0f}% |",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", default="", help="comma list of NAME:SIGMA under --data-root (as quality.py)")
    p.add_argument("--data-root", type=Path, default=REPO / "data" / "dev")
    p.add_argument("--fmd", type=Path, help="FMD root with raw/<field>/*.png and gt/<field>/avg50.png")
    p.add_argument(
        "--fmd-fields",
        default=",".join(str(f) for f in range(1, 21) if f != 19),
        help="FMD fields (default: all 19 of Confocal_BPAE_B)",
    )
    p.add_argument("--real", type=Path, help="real photos: a folder with noisy/ and mean/ (or clean/)")
    p.add_argument("--split", choices=("level", "gradient"), default="level", help="bands of what (see above)")
    p.add_argument("--limit", type=int, help="the first N images of each set, N captures per FMD field")
    p.add_argument(
        "--models",
        default="default",
        help="comma list of model files or bundled names; 'default' is n2n denoise's own choice",
    )
    args = p.parse_args(argv)
    methods = [("noisy input", lambda noisy, sigma: noisy)]
    methods += [network(None if m == "default" else m) for m in args.models.split(",") if m]
    for name, folder, sigma, quality in parse_sets(args.sets, args.data_root):
        if isinstance(sigma, str):
            raise SystemExit(f"--sets: {name}:{sigma}: a stand-in; this experiment takes Gaussian sets, NAME:SIGMA")
        pairs = synthetic_pairs(folder, sigma, args.limit, quality)
        band_table(f"{name} sigma {sigma:g}", pairs, methods, args.split)
    if args.fmd:
        pairs = fmd_pairs(args.fmd, args.fmd_fields.split(","), args.limit)
        band_table(f"FMD {args.fmd.name} fields {args.fmd_fields}", pairs, methods, args.split)
    if args.real:
        band_table(f"{args.real.name} (real)", real_pairs(args.real, args.limit), methods, args.split)


if __name__ == "__main__":
    main()
