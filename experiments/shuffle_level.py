"""From what noise level should the camera model also take an image's pixel-shuffled sub-images? (defaults.
CAMERA_SHUFFLE_LEVEL, the auto route's `camera+shuffle`.)

Reads two runs of benchmarks.quality over the same proxy sets: one with the camera model on the plain route and one
on the shuffle route (their per-image PSNR), estimates each noisy image's noise as the auto route does, and prints,
for the images the auto route of the first run gave the camera model, how much the shuffle route changes each set's
mean PSNR if it is taken from a noise level of T upward.

    python -m benchmarks.quality --sets cbsd68:phone,cbsd68:dslr --methods noisy,bundled \
        --extra camera=weights/fast-camera.pt --extra plain=weights/fast-blind.pt --route auto --json local/plain.json
    python -m benchmarks.quality --sets cbsd68:phone,cbsd68:dslr --methods noisy,bundled \
        --extra camera=weights/fast-camera.pt --route shuffle --json local/shuffle.json
    python -m experiments.shuffle_level local/plain.json local/shuffle.json

(benchmarks/results/quality-real.json of 0.8.0 before `camera+shuffle` holds the first run's rows.) In the first
run an image went to the camera model where the `bundled` row (auto) equals the `camera` row.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import REPO
from benchmarks.proxies import PRESETS, proxy_pairs
from n2n_cli.noise.estimate import estimate_noise


def per_image(rows: list[dict], sigma: str, method: str) -> dict[str, float]:
    return next(dict(r["per_image"]) for r in rows if r["sigma"] == sigma and r["method"] == method)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plain", type=Path, help="benchmarks.quality JSON: auto route, with a `camera` extra row")
    ap.add_argument("shuffled", type=Path, help="benchmarks.quality JSON: shuffle route, with a `camera` extra row")
    ap.add_argument("--data", type=Path, default=REPO / "data" / "dev" / "cbsd68")
    ap.add_argument("--levels", type=float, nargs="+", default=[6, 8, 10, 12, 14, 16, 20])
    args = ap.parse_args(argv)
    plain, shuffled = (json.loads(p.read_text())["rows"] for p in (args.plain, args.shuffled))
    found: dict[str, list[tuple[float, float]]] = {}  # preset -> (level, shuffle's change) per camera image
    counts: dict[str, int] = {}
    for preset in PRESETS:
        sigma = f"{preset} (synthetic)"
        try:
            auto, cam, cam_shuffled = (
                per_image(plain, sigma, "bundled"),
                per_image(plain, sigma, "camera"),
                per_image(shuffled, sigma, "camera"),
            )
        except StopIteration:
            continue
        pairs = proxy_pairs(args.data, preset)
        counts[preset] = len(pairs)
        found[preset] = [
            (estimate_noise(noisy, 0.0, 255.0).level, cam_shuffled[name] - cam[name])
            for name, noisy, _ in pairs
            if auto[name] == cam[name]
        ]
    print("| from level | " + " | ".join(f"{p}: images, mean change dB" for p in found) + " |")
    print("|---:|" + "---:|" * len(found))
    for t in args.levels:
        cells = []
        for p, rows in found.items():
            taken = [d for level, d in rows if level >= t]
            cells.append(f"{len(taken)}, {sum(taken) / counts[p]:+.3f}")
        print(f"| {t:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
