"""What more training would buy: a saturating fit to a model's validation PSNR at the end of each training run.

Each file given is a checkpoint saved at the end of a run (a cosine schedule decayed to 0, so its last validation
is what that much training buys). Files started from another one with `n2n train --init` record its sha256; the
epochs of that chain are added up, so a file's x is its total epochs of training. The points are fitted with
PSNR(e) = P_inf - A * e^-c (a power law that levels off at P_inf) and, as the optimistic alternative that never
levels off, with the dB gained per doubling of the epochs between the last two points. It prints the points, the
fit, and the epochs each target would need under both. A file may be given as REV:PATH (read with `git show`);
give a file after the one it was started from.

    python -m experiments.curve a040b33:weights/fast-blind.pt 81072f7:weights/fast-blind.pt \\
        a738a05:weights/fast-blind.pt 71f1735:weights/fast-blind.pt d5ec60c:weights/fast-blind.pt \\
        weights/fast-blind.pt --targets 29.8,30.0,30.4

Runs of different lengths, some restarted (Adam afresh, a new cosine), are not one run, so the fit is a guide to
the order of magnitude, not a prediction to the tenth of a dB.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO


def read(spec: str) -> bytes:
    if Path(spec).is_file():
        return Path(spec).read_bytes()
    rev, _, path = spec.partition(":")
    return subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{path}"], check=True, capture_output=True).stdout


def points(specs: list[str]) -> list[dict]:
    """One point per file: total epochs (its own plus its --init chain), last validation PSNR, seconds."""
    by_sha: dict[str, dict] = {}
    out: list[dict] = []
    for spec in specs:
        blob = read(spec)
        ckpt = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        metrics = [m for m in ckpt["metrics"] if m.get("val_psnr") is not None]
        if not metrics:
            sys.exit(f"{spec}: no validation PSNR in its metrics")
        init_sha = ckpt.get("config", {}).get("init_sha256")
        parent = by_sha.get(init_sha)
        if init_sha and parent is None:
            sys.exit(f"{spec}: started from a file (sha256 {init_sha[:8]}...) not given before it")
        point = {
            "spec": spec,
            "epochs": len(ckpt["metrics"]) + (parent["epochs"] if parent else 0),
            "seconds": sum(m["seconds"] for m in ckpt["metrics"]) + (parent["seconds"] if parent else 0.0),
            "psnr": metrics[-1]["val_psnr"],
        }
        by_sha[hashlib.sha256(blob).hexdigest()] = point
        out.append(point)
    return sorted(out, key=lambda p: p["epochs"])


def fit(e: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """Least squares of p = P_inf - A * e^-c over a grid of c (linear in P_inf and A for each c)."""
    best: tuple[float, float, float, float] | None = None
    for c in np.linspace(0.05, 3.0, 591):
        x = np.stack([np.ones_like(e), -(e**-c)], 1)
        coef, *_ = np.linalg.lstsq(x, p, rcond=None)
        err = float(((x @ coef - p) ** 2).sum())
        if best is None or err < best[0]:
            best = (err, float(coef[0]), float(coef[1]), float(c))
    assert best is not None
    return best[1], best[2], best[3]


def big(x: float) -> str:
    """A count as an integer, or in powers of ten once its digits stop meaning anything."""
    return f"{x:.0f}" if x < 1e6 else f"{x:.1e}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", help="checkpoints (or REV:PATH), each the end of one training run")
    p.add_argument("--targets", default="29.8,30.0,30.4", help="comma list of validation PSNRs to reach")
    args = p.parse_args(argv)
    pts = points(args.files)
    if len(pts) < 3:
        sys.exit("need at least 3 points for the fit")
    e = np.array([q["epochs"] for q in pts], dtype=np.float64)
    y = np.array([q["psnr"] for q in pts], dtype=np.float64)
    p_inf, a, c = fit(e, y)
    per_epoch = pts[-1]["seconds"] / pts[-1]["epochs"]
    print("| file | epochs in all | training seconds in all | validation PSNR dB | fit dB |")
    print("|---|---|---|---|---|")
    for q in pts:
        print(
            f"| {q['spec']} | {q['epochs']} | {q['seconds']:.0f} | {q['psnr']:.2f} | "
            f"{p_inf - a * q['epochs'] ** -c:.2f} |"
        )
    doubling = (y[-1] - y[-2]) / math.log2(e[-1] / e[-2])
    print(
        f"\nfit: PSNR(e) = {p_inf:.2f} - {a:.4g} * e^-{c:.2f}  (levels off at {p_inf:.2f} dB); "
        f"last two points: {doubling:+.3f} dB per doubling of the epochs"
    )
    print(f"mean training time so far: {per_epoch:.0f} s per epoch\n")
    print(
        "| target dB | epochs under the fit | epochs at the last dB per doubling | that many epochs at this pace (h) |"
    )
    print("|---|---|---|---|")
    for t in (float(s) for s in args.targets.split(",")):
        under_fit = f"{(a / (p_inf - t)) ** (1 / c):.0f}" if p_inf > t else "never"
        loglin = e[-1] * 2 ** ((t - y[-1]) / doubling) if doubling > 0 else math.inf
        print(f"| {t:.2f} | {under_fit} | {big(loglin)} | {big(loglin * per_epoch / 3600)} |")


if __name__ == "__main__":
    main()
