"""Would another colour model do better as the default of `n2n denoise`? By hand, not in CI.

The auto route as `n2n denoise` takes it (the bundled gray and camera models, the grid, the weak route's two passes
and chroma hold), with the default colour model replaced by each candidate file (`bundled`: the shipped one) and
the weak route's factor (defaults.WEAK_BOOST) set to each of `--ks`. For each candidate and factor it prints the gain
over the noisy input on each `polyu_dev` camera and on all 38 photos, and with `--full` the PSNR on all of CBSD68
clean, with Gaussian noise of sigma 25, and with sigma 15 saved as JPEG q90 (the protocol of benchmarks.quality),
and with `--standins N` on the phone and DSLR stand-ins of the first N CBSD68 images (benchmarks/proxies.py).
Then, for each candidate and each camera held out, the factor the other two cameras pick and what it gives on the
one held out: a candidate that only moves along the factor's trade-off (more taken from noise and from clean
detail alike) shows no gain there.

    python -m experiments.default_candidate bundled runs/weak2-avg.pt --ks 1.2,1.3,1.4 --full
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from benchmarks.proxies import proxy_pairs
from benchmarks.quality import real_pairs, score, synthetic_pairs
from n2n_cli import defaults
from n2n_cli.inference.backends import TorchPredictor
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.models.bundled import load_model

CAMERAS = ("Canon600D", "Canon80D", "Sony")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="colour weights files, or `bundled`")
    ap.add_argument("--ks", default="1.2,1.3,1.4", help="values of WEAK_BOOST, comma-separated")
    ap.add_argument("--full", action="store_true", help="also all of CBSD68: clean, sigma 25, sigma 15 JPEG q90")
    ap.add_argument("--standins", type=int, default=0, help="phone and DSLR stand-ins of N CBSD68 images")
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    ks = [float(k) for k in a.ks.split(",")]
    polyu = real_pairs(a.polyu, None)
    noisy = {name: score(x, ref) for name, x, ref in polyu}
    sets = {}
    if a.full:
        sets = {
            "CBSD68 clean": synthetic_pairs(a.cbsd68, 0, None),
            "CBSD68 sigma 25": synthetic_pairs(a.cbsd68, 25, None),
            "CBSD68 sigma 15 JPEG q90": synthetic_pairs(a.cbsd68, 15, None, 90),
        }
    for preset in ("phone", "dslr")[: 2 if a.standins else 0]:
        sets[f"CBSD68 {preset} stand-in"] = proxy_pairs(a.cbsd68, preset, a.standins)
    print("| model | WEAK_BOOST | " + " | ".join(CAMERAS) + " | polyu_dev | " + " | ".join(sets) + " |")
    print("|---|---|" + "---|" * (len(CAMERAS) + 1 + len(sets)))
    gains: dict[tuple[str, float, str], float] = {}
    for model in a.models:
        denoise = make_denoiser(None, torch.device("cpu"), route="auto")
        if model != "bundled":
            denoise.net = TorchPredictor(load_model(model)[0], torch.device("cpu"))
        for k in ks:
            defaults.WEAK_BOOST = k  # route.weak_boost reads it at each image
            gain = {name: score(denoise(x), ref) - noisy[name] for name, x, ref in polyu}
            for cam in CAMERAS:
                gains[model, k, cam] = float(np.mean([g for n, g in gain.items() if n.startswith(cam)]))
            others = [float(np.mean([score(denoise(x), c) for _, x, c in pairs])) for pairs in sets.values()]
            print(
                f"| {model} | {k:g} | "
                + " | ".join(f"{gains[model, k, cam]:+.3f}" for cam in CAMERAS)
                + f" | {np.mean(list(gain.values())):+.3f} | "
                + " | ".join(f"{v:.3f}" for v in others)
                + " |",
                flush=True,
            )
    counts = {cam: sum(n.startswith(cam) for n in noisy) for cam in CAMERAS}
    print("\none camera held out: the factor the other two pick (their mean gain per photo), and its gain there")
    for model in a.models:
        cells = []
        for out in CAMERAS:
            rest = [c for c in CAMERAS if c != out]
            pick = max(ks, key=lambda k: sum(counts[c] * gains[model, k, c] for c in rest))
            cells.append(f"{out} {pick:g}: {gains[model, pick, out]:+.3f}")
        print(f"  {model}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
