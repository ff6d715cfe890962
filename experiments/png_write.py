"""PNG writing: seconds per megapixel and bytes for each encoder setting, on denoised photos.

A by-hand benchmark, not run in CI. The first K images of a folder (default CBSD68) get Gaussian noise (sigma 25,
clipped, rounded to 8 bits, seeded), are denoised with the bundled weights, and each output is encoded in memory
with every setting below, `--repeats` times, interleaved so machine noise hits all settings alike. The row marked
`n2n` is what `n2n denoise` writes (`defaults.PNG_LEVEL`, `defaults.PNG_FILTER`). Encoding only: the atomic file
write around it is in speed.py's denoise rows.

    python -m experiments.png_write --images 8 --repeats 5
"""

from __future__ import annotations

import argparse
import io
import platform
import time
from pathlib import Path
from typing import Callable

import imagecodecs
import numpy as np
import torch
from PIL import Image

from benchmarks.common import REPO, cpu_model
from n2n_cli import defaults
from n2n_cli.inference import make_denoiser
from n2n_cli.io import list_images, read_frame

FILTERS = {"none": 8, "sub": 16, "up": 32, "average": 64, "paeth": 128, "adaptive (all five)": 248}


def pillow(level: int) -> Callable[[np.ndarray], bytes]:
    def encode(img: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG", compress_level=level)
        return buf.getvalue()

    return encode


def libpng(level: int, filt: int) -> Callable[[np.ndarray], bytes]:
    return lambda img: bytes(imagecodecs.png_encode(img, level=level, filter=filt))


def settings() -> dict[str, Callable[[np.ndarray], bytes]]:
    out = {
        "Pillow, level 6, adaptive filter (Pillow's default)": pillow(6),
        "Pillow, level 1, adaptive filter": pillow(1),
    }
    for name, f in FILTERS.items():
        mark = " (n2n)" if (defaults.PNG_LEVEL, defaults.PNG_FILTER) == (1, f) else ""
        out[f"libpng, level 1, filter {name}{mark}"] = libpng(1, f)
    return out


def denoised_images(folder: Path, k: int) -> list[np.ndarray]:
    denoiser = make_denoiser(None, torch.device("cpu"))
    images = []
    for i, path in enumerate(list_images(folder)[:k]):
        clean = read_frame(path, 0).astype(np.float32)
        noise = np.random.default_rng(1234 + i).normal(0, 25, clean.shape)
        noisy = np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8)
        images.append(denoiser(noisy))
    return images


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--folder", default=str(REPO / "data/dev/cbsd68"))
    p.add_argument("--images", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    images = denoised_images(Path(args.folder), args.images)
    mp = sum(im.shape[0] * im.shape[1] for im in images) / 1e6
    encoders = settings()
    seconds = dict.fromkeys(encoders, 0.0)
    sizes = {name: sum(len(enc(im)) for im in images) for name, enc in encoders.items()}
    for _ in range(args.repeats):
        for name, enc in encoders.items():
            t0 = time.perf_counter()
            for im in images:
                enc(im)
            seconds[name] += time.perf_counter() - t0
    print(
        f"# PNG writing: {len(images)} denoised images of {Path(args.folder).name} ({mp:.2f} MP), "
        f"{args.repeats} repeats; {cpu_model()}, Python {platform.python_version()}, "
        f"imagecodecs {imagecodecs.__version__}, Pillow {Image.__version__}\n"
    )
    base = seconds[next(iter(encoders))]
    print("| setting | s/MP | MB | time vs Pillow level 6 |\n|---|---|---|---|")
    for name in encoders:
        print(
            f"| {name} | {seconds[name] / args.repeats / mp:.3f} | {sizes[name] / 1e6:.2f} | "
            f"{seconds[name] / base:.2f}x |"
        )


if __name__ == "__main__":
    main()
