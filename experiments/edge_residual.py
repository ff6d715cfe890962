"""Where a model leaves real camera noise: at edges or in flat areas.

For each real noisy photo (a folder with noisy/ and mean/, as polyu_dev), the mean image is aligned to its shot (the
global sub-pixel shift that fits best, as `noise_calibration` does), then the high-passed luma variance of the noise
(shot minus mean) and of each model's error (output minus mean) is measured by band of the clean image's gradient,
in mid-tones. Prints a table: per band, the noise's variance and the share of it each model leaves. A model that
takes the variation at edges for texture leaves a large share there.

    python -m experiments.edge_residual --models weights/fast-blind.pt local/v060.pt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from experiments.noise_calibration import GRADS, align, edges, load
from n2n_cli.inference import make_denoiser


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "data/real/polyu_dev", help="folder with noisy/ and mean/")
    ap.add_argument("--models", nargs="+", default=["weights/fast-blind.pt"], help="model files to compare")
    ap.add_argument("--limit", type=int, default=0, help="only the first N crops")
    a = ap.parse_args()
    names = sorted((a.data / "noisy").glob("*.jpg"))[: a.limit or None]
    if not names:
        sys.exit(f"{a.data}: no noisy/*.jpg")
    denoisers = [make_denoiser(m, torch.device("cpu")) for m in a.models]
    noise: list[tuple[np.ndarray, np.ndarray]] = []
    left: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in a.models]
    for p in names:
        noisy = load(p)
        clean, _ = align(noisy, load(a.data / "mean" / p.name))
        noise.append((noisy, clean))
        x = torch.from_numpy(noisy / 255.0).permute(2, 0, 1)[None].float()
        for k, d in enumerate(denoisers):
            out = d.predict(x).clamp(0, 1)[0].permute(1, 2, 0).double().numpy()
            left[k].append((np.round(out * 255.0), clean))
    base = edges(noise)
    bands = [f"{lo:g}-{hi:g}".replace("-inf", "+") for lo, hi in zip(GRADS, GRADS[1:])]
    print(f"{len(names)} crops of {a.data}; high-passed luma variance (levels^2) by clean gradient (levels/pixel)\n")
    print("| | " + " | ".join(bands) + " |")
    print("|---|" + "---|" * len(bands))
    print("| real noise | " + " | ".join("-" if v is None else f"{v:.2f}" for v in base) + " |")
    for m, pairs in zip(a.models, left):
        share = [None if b is None or v is None else v / b for v, b in zip(edges(pairs), base)]
        print(f"| share left by {Path(m).name} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in share) + " |")


if __name__ == "__main__":
    main()
