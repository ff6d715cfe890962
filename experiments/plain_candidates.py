"""Should a candidate that the camera model does not take get the weak route's treatment? By hand, not in CI.

Under `auto` a candidate (noise of CAMERA_LEVEL or more, correlated) whose evidence falls short of the camera model's
threshold takes one plain pass, while weaker correlated noise (a camera's weak noise) takes the weak route: two
passes averaged (the image and its anti-transpose), the correction WEAK_BOOST times, colour held to its budget
(docs/denoise.md). For each image of clean CBSD68, the phone and DSLR stand-ins, and CBSD68 at sigma 25 and at
sigma 15 saved as JPEG q90 that is such a candidate and correlated WEAK_CORRELATION or more, this prints the
plain pass's PSNR against the weak route's (as `n2n denoise` would give it with the candidate test off), and one
plain pass with its correction boosted and held without the turned pass, per set: images, mean change, lowest
and highest, and the change over the whole set.

    python -m experiments.plain_candidates
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from benchmarks.common import REPO
from benchmarks.proxies import proxy_pairs
from benchmarks.quality import score, synthetic_pairs
from n2n_cli import defaults
from n2n_cli.inference import route as routes
from n2n_cli.inference.chroma import hold_chroma
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.inference.samples import network_input, store
from n2n_cli.noise.estimate import NoiseEstimate


def as_weak(est: NoiseEstimate) -> float:
    """route.weak_boost without its level test: any noise correlated WEAK_CORRELATION or more."""
    return defaults.WEAK_BOOST if est.correlation >= defaults.WEAK_CORRELATION else 1.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--limit", type=int, default=None, help="the first N images of each set")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    sets = {
        "clean": synthetic_pairs(a.cbsd68, 0, a.limit),
        "DSLR stand-in": proxy_pairs(a.cbsd68, "dslr", a.limit),
        "phone stand-in": proxy_pairs(a.cbsd68, "phone", a.limit),
        "sigma 25": synthetic_pairs(a.cbsd68, 25, a.limit),
        "sigma 15 JPEG q90": synthetic_pairs(a.cbsd68, 15, a.limit, 90),
    }
    auto = make_denoiser(None, torch.device("cpu"), route="auto")
    print(f"WEAK_BOOST {defaults.WEAK_BOOST:g}, WEAK_CORRELATION {defaults.WEAK_CORRELATION:g}")
    head = "set | images | such candidates | plain dB | weak route: change | lowest | highest | over the set"
    print(f"| {head} | one pass boosted and held: change | over the set |\n" + "|---" * 10 + "|")
    for name, pairs in sets.items():
        rows = []
        for _, x, clean in pairs:
            out = auto(x)
            rep = auto.report
            if rep is None or rep.route != "plain" or rep.extra is None:
                continue  # not a candidate, or the camera model's
            if rep.estimate is None or rep.estimate.correlation < defaults.WEAK_CORRELATION:
                continue
            with (
                mock.patch.object(routes, "candidate", lambda est: False),
                mock.patch.object(routes, "weak_boost", as_weak),
            ):
                weak = auto(x)
            rng = auto.normalization.range_of([x])
            xin = network_input(x, rng)
            y = auto._whole(xin, lambda done, total: None)
            one = hold_chroma(xin + defaults.WEAK_BOOST * (y - xin))[0]
            boosted = np.empty_like(x)
            store(boosted, one, x, rng, 1.0)
            rows.append((score(out, clean), score(weak, clean), score(boosted, clean)))
        if not rows:
            print(f"| {name} | {len(pairs)} | 0 | - | - | - | - | - | - | - |")
            continue
        r = np.array(rows)
        weak_change, one_change = r[:, 1] - r[:, 0], r[:, 2] - r[:, 0]
        print(
            f"| {name} | {len(pairs)} | {len(rows)} | {r[:, 0].mean():.3f} | {weak_change.mean():+.3f} | "
            f"{weak_change.min():+.3f} | {weak_change.max():+.3f} | {weak_change.sum() / len(pairs):+.3f} | "
            f"{one_change.mean():+.3f} | {one_change.sum() / len(pairs):+.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
