"""Synthetic stand-ins for real noise kinds this project holds no photos of: phones at night and DSLRs at high ISO.

Each is made from a clean test set (CBSD68) the way such a photo is: the picture enlarged 2x (Lanczos) and its
central CROP x CROP part kept, so that neighbouring pixels are as alike as in a full-size camera photo (a 481 x 321
test image is a downscaled photo, far busier from pixel to pixel); then a camera's noise made at a simulated sensor
(`--noise raw`, n2n_cli/noise/raw.py) at a level drawn per image, clipped, rounded to 8 bits and saved as JPEG at a
quality drawn per image. Seeded per image (PROXY_SEED + index). A row on these sets measures the noise we made, not
a real camera's: docs/results.md says so beside each.

The presets are set to the statistics the held-back photos of issue 35 were reported with (noisy minus reference:
std, neighbour correlation): phones std 8-38 levels, correlation 0.33, 23 dB; DSLR crops ISO 1600-6400 std 3.6-8.3,
correlation 0.61. `python -m benchmarks.proxies` prints what the presets give.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image as PILImage

from n2n_cli.io import list_images
from n2n_cli.noise import jpeg, quantize
from n2n_cli.noise.raw import raw_noise

CROP = 384
PROXY_SEED = 5000
# name -> (what it stands for, raw noise level range on mid-grey (log-uniform), JPEG quality range)
PRESETS: dict[str, tuple[str, tuple[float, float], tuple[int, int]]] = {
    "phone": ("a phone's noise at night (synthetic: made at a simulated sensor), JPEG q80-95", (6.0, 30.0), (80, 95)),
    "dslr": ("a DSLR's at high ISO (synthetic: made at a simulated sensor), JPEG q88-98", (2.5, 7.0), (88, 98)),
}

Pair = tuple[str, np.ndarray, np.ndarray]  # (name, noisy, clean), H x W x 3 uint8


def enlarged(img: np.ndarray, scale: int = 2, crop: int | None = CROP) -> np.ndarray:
    """The image enlarged `scale` times (Lanczos), its central `crop` x `crop` part kept (None: all of it): a
    full-size camera photo's smoothness."""
    pic = PILImage.fromarray(img)
    w, h = pic.size
    pic = pic.resize((scale * w, scale * h), PILImage.Resampling.LANCZOS)
    if crop is not None:
        w, h = pic.size
        pic = pic.crop(((w - crop) // 2, (h - crop) // 2, (w + crop) // 2, (h + crop) // 2))
    return np.array(pic)


def proxy_pairs(
    folder: Path, preset: str, limit: int | None = None, scale: int = 2, crop: int | None = CROP
) -> list[Pair]:
    """(name, noisy, clean) for the first `limit` colour images of `folder` under `preset`; `scale` and `crop` as
    `enlarged` takes them (a larger stand-in: `scale` 4, `crop` None)."""
    _, (lo, hi), (q_lo, q_hi) = PRESETS[preset]
    pairs = []
    for k, p in enumerate(list_images(folder)[:limit]):
        g = torch.Generator().manual_seed(PROXY_SEED + k)
        clean = enlarged(np.array(PILImage.open(p).convert("RGB")), scale, crop)
        x = torch.from_numpy(clean).permute(2, 0, 1)[None].float() / 255
        level = lo * (hi / lo) ** float(torch.rand(1, generator=g))
        quality = int(torch.randint(q_lo, q_hi + 1, (1,), generator=g))
        y = jpeg(quantize(x + raw_noise(x, torch.full((1, 1, 1, 1), level / 255), g)), quality)
        noisy = np.rint(y[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        pairs.append((p.name, noisy, clean))
    return pairs


def noise_stats(pairs: list[Pair]) -> dict[str, float]:
    """What the noisy images hold (noisy - clean, 8-bit levels): std range and mean, neighbour correlation (across
    and down, per channel), input PSNR."""
    stds, rhos, psnrs = [], [], []
    for _, noisy, clean in pairs:
        d = noisy.astype(np.float64) - clean
        d -= d.mean((0, 1))
        var = (d**2).mean((0, 1))
        rho = ((d[:, 1:] * d[:, :-1]).mean((0, 1)) + (d[1:] * d[:-1]).mean((0, 1))) / 2 / np.maximum(var, 1e-12)
        stds.append(float(d.std()))
        rhos.append(float(rho.mean()))
        psnrs.append(float(10 * np.log10(255**2 / max(((noisy.astype(np.float64) - clean) ** 2).mean(), 1e-12))))
    return {
        "std_min": min(stds),
        "std_max": max(stds),
        "std_mean": float(np.mean(stds)),
        "correlation": float(np.mean(rhos)),
        "psnr": float(np.mean(psnrs)),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="The noise statistics of the synthetic proxy sets (and their images).")
    p.add_argument("--data", type=Path, default=Path("data/dev/cbsd68"))
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--scale", type=int, default=2, help="each image enlarged this many times")
    p.add_argument("--whole", action="store_true", help="keep the whole enlarged image (else its central CROP)")
    p.add_argument("--write", type=Path, default=None, help="also save the noisy images as WRITE/PRESET/NAME.png")
    args = p.parse_args(argv)
    print("| proxy | images | noise std (levels) | neighbour correlation | input PSNR dB |")
    print("|---|---|---|---|---|")
    for name in PRESETS:
        pairs = proxy_pairs(args.data, name, args.limit, args.scale, None if args.whole else CROP)
        if args.write is not None:
            (args.write / name).mkdir(parents=True, exist_ok=True)
            for file, noisy, _ in pairs:
                PILImage.fromarray(noisy).save(args.write / name / f"{Path(file).stem}.png")
        s = noise_stats(pairs)
        print(
            f"| {name} | {len(pairs)} | {s['std_min']:.1f}-{s['std_max']:.1f} (mean {s['std_mean']:.1f}) | "
            f"{s['correlation']:.2f} | {s['psnr']:.2f} |"
        )


if __name__ == "__main__":
    main()
