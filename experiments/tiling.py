"""What tiling does to the output: each tile against the whole image through the network in one piece.

A by-hand benchmark, not run in CI. The first K images of a folder (default CBSD68) get Gaussian noise (sigma 25,
clipped, rounded to 8 bits, seeded per image as `n2n eval` does) and are denoised with a model (default: the
bundled weights) untiled, then with each tile side and overlap given. Printed per setting, averaged over the
images: the mean and largest difference from the untiled output in 8-bit levels, the share of pixels more than
2 levels off, and the PSNR of both against the clean image. `--real DIR`: real noisy photos instead (DIR/noisy,
scored against DIR/mean, as benchmarks/quality.py's --real), no noise added; with `--mosaic`, the first four crops
of each scene (file names alike up to their last "_", as polyu_dev's) joined 2 x 2 into one larger photo, so that
the default tile (512) cuts across real photos larger than it.

    python -m experiments.tiling --images 4 --tiles 128,256 --overlaps 32,64
    python -m experiments.tiling --real data/real/polyu_dev --images 38 --tiles 128,256 --model weights/fast-blind.pt
    python -m experiments.tiling --real data/real/polyu_dev --mosaic --images 99 --tiles 512,256
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from n2n_cli import defaults
from n2n_cli.inference import Denoiser
from n2n_cli.io import list_images, read_frame
from n2n_cli.models.bundled import load_model


def psnr(out: np.ndarray, clean: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((out.astype(np.float64) - clean) ** 2)))


def real_pairs(root: Path, mosaic: bool) -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """(name, noisy, mean) of each photo in root/noisy (uint8, float64), or of each 2 x 2 mosaic of a scene's crops."""
    paths = list_images(root / "noisy")
    if not mosaic:
        return [(p, read_frame(p, 0), read_frame(root / "mean" / p.name, 0).astype(np.float64)) for p in paths]
    scenes: dict[str, list[Path]] = {}
    for p in paths:
        scenes.setdefault(p.stem.rsplit("_", 1)[0], []).append(p)
    out = []
    for name, crops in scenes.items():
        if len(crops) < 4:
            continue
        joined = []
        for sub in ("noisy", "mean"):
            a = [read_frame(root / sub / c.name, 0) for c in crops[:4]]
            joined.append(np.concatenate([np.concatenate(a[:2], 1), np.concatenate(a[2:], 1)], 0))
        out.append((Path(name), joined[0], joined[1].astype(np.float64)))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--folder", default=str(REPO / "data/dev/cbsd68"))
    p.add_argument("--real", default=None, help="a folder of real photos: noisy/ and mean/ (no noise added)")
    p.add_argument("--mosaic", action="store_true", help="with --real: each scene's first four crops joined 2 x 2")
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--model", default=None, help="checkpoint [default: the bundled weights]")
    p.add_argument("--tiles", default="128,256", help="comma list of tile sides")
    p.add_argument("--overlaps", default=str(defaults.OVERLAP), help="comma list of overlaps")
    args = p.parse_args()
    torch.manual_seed(0)
    model, _ = load_model(args.model)
    cpu = torch.device("cpu")
    settings = [(int(t), int(o)) for t in args.tiles.split(",") for o in args.overlaps.split(",")]
    stats: dict[tuple[int, int], list[tuple[float, float, float, float, float]]] = {s: [] for s in settings}
    folder = Path(args.real) / "noisy" if args.real else Path(args.folder)
    if args.real:
        images = real_pairs(Path(args.real), args.mosaic)[: args.images]
    else:
        images = []
        for i, path in enumerate(list_images(folder)[: args.images]):
            clean = read_frame(path, 0).astype(np.float64)
            noise = np.random.default_rng(defaults.VAL_NOISE_SEED + i).normal(0, 25, clean.shape)
            images.append((path, np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8), clean))
    for _, noisy, clean in images:
        whole = Denoiser(model, cpu, tile=max(noisy.shape[:2]))(noisy)
        for tile, overlap in settings:
            out = Denoiser(model, cpu, tile=tile, overlap=overlap)(noisy)
            d = np.abs(out.astype(np.float64) - whole)
            stats[(tile, overlap)].append((d.mean(), d.max(), (d > 2).mean(), psnr(whole, clean), psnr(out, clean)))
    print(
        f"# tiling against one piece: {len(images)} {'2 x 2 mosaics' if args.mosaic else 'images'} of "
        f"{folder.parent.name if args.real else folder.name}, {'real noise' if args.real else 'sigma 25'}, model "
        f"{args.model or 'bundled'}\n"
    )
    print("| tile | overlap | mean diff (levels) | max diff | share > 2 levels | PSNR untiled | PSNR tiled |")
    print("|---|---|---|---|---|---|---|")
    for (tile, overlap), rows in stats.items():
        m = np.array(rows)
        print(
            f"| {tile} | {overlap} | {m[:, 0].mean():.2f} | {m[:, 1].max():.0f} | {m[:, 2].mean():.1%} | "
            f"{m[:, 3].mean():.3f} | {m[:, 4].mean():.3f} |"
        )


if __name__ == "__main__":
    main()
