"""Does judging a large candidate on a few of its tiles choose as judging it whole does? By hand, not in CI.

Under `auto` a candidate (correlated noise of CAMERA_LEVEL or more) of more than 2 x EVIDENCE_GRID^2 tiles has both
models run on EVIDENCE_GRID x EVIDENCE_GRID of its tiles only, then takes the chosen model's pass
(inference/denoiser.py); before, both models ran over the whole image. The standard sets' images are one tile, so
this makes large ones: the phone and DSLR stand-ins (benchmarks/proxies.py) of whole CBSD68 images enlarged
`--scale` times (4: 1924 x 1284, 12 tiles), and the same images clean. Each is denoised both ways in one run: the
route each took, the evidence (what the camera model took away beyond the default where the image is flat) both
ways, the PSNR both ways, and the time. Per set: candidates, how many took another route, the evidence's mean and
largest change, each way's mean PSNR, and the ratio of their times. `--flattest` judges on the EVIDENCE_GRID^2
tiles with the most flat blocks instead of the spread grid (the rule tried first).

    python -m experiments.evidence_tiles --limit 16
    python -m experiments.evidence_tiles --limit 16 --flattest
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from benchmarks.common import REPO
from benchmarks.proxies import proxy_pairs
from benchmarks.quality import score
from n2n_cli import defaults
from n2n_cli.inference import route as routes
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.inference.tiling import own_spans
from n2n_cli.noise.estimate import BLOCK, NoiseEstimate


def flattest_tiles(
    ys: list[tuple[int, int]], xs: list[tuple[int, int]], h: int, w: int, est: NoiseEstimate
) -> list[routes.Judged] | None:
    """route.judged_tiles with the other rule: the EVIDENCE_GRID^2 tiles holding the most flat blocks."""
    g = defaults.EVIDENCE_GRID
    if len(ys) * len(xs) <= 2 * g * g:
        return None
    corners, found = est.corners, []
    for (y, th), (y0, y1) in zip(ys, own_spans(ys, h)):
        down = (corners[:, 0] >= y0) & (corners[:, 0] + BLOCK <= y1)
        for (q, tw), (x0, x1) in zip(xs, own_spans(xs, w)):
            inside = down & (corners[:, 1] >= x0) & (corners[:, 1] + BLOCK <= x1)
            found.append(((y, q, th, tw), corners[inside] - np.array([y, q])))
    found.sort(key=lambda f: -len(f[1]))  # stable: ties in reading order
    picked = [f for f in found[: g * g] if len(f[1])]
    return picked or None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--limit", type=int, default=24, help="the first N images of CBSD68")
    ap.add_argument("--scale", type=int, default=4, help="each image enlarged this many times")
    ap.add_argument("--verbose", action="store_true", help="a line per candidate image")
    ap.add_argument("--flattest", action="store_true", help="judge on the tiles with the most flat blocks")
    a = ap.parse_args(argv)
    rule, label = (
        (flattest_tiles, "the tiles with the most flat blocks")
        if a.flattest
        else (routes.judged_tiles, "a spread grid")
    )
    with mock.patch.object(routes, "judged_tiles", rule):
        run(a, label)


def run(a: argparse.Namespace, rule: str) -> None:
    torch.set_grad_enabled(False)
    phone = proxy_pairs(a.cbsd68, "phone", a.limit, a.scale, None)
    sets = {
        "clean": [(name, clean, clean) for name, _, clean in phone],
        "phone": phone,
        "dslr": proxy_pairs(a.cbsd68, "dslr", a.limit, a.scale, None),
    }
    denoise = make_denoiser(None, torch.device("cpu"), route="auto")
    tiles = defaults.EVIDENCE_GRID
    print(f"EVIDENCE_GRID {tiles} ({rule}); the first {a.limit} CBSD68 images enlarged {a.scale} times")
    head = "set | images | MP | candidates | judged on tiles | another route | evidence: mean change | largest"
    print(f"| {head} | whole: dB | tiles: dB | time tiles / whole |\n" + "|---" * 11 + "|")
    rows = []
    for name, pairs in sets.items():
        found = []  # per candidate: (extra whole, extra tiles, route whole, route tiles, dB whole, dB tiles, s, s)
        for label, noisy, clean in pairs:
            runs = []
            for k in (10**6, tiles):  # judged whole, then on tiles
                defaults.EVIDENCE_GRID = k
                t0 = time.perf_counter()
                out = denoise(noisy)
                runs.append((denoise.report, score(out, clean), time.perf_counter() - t0))
            defaults.EVIDENCE_GRID = tiles
            (whole, db_w, s_w), (part, db_t, s_t) = runs
            if whole is None or whole.extra is None or part is None:
                continue
            found.append((whole.extra, part.extra, whole.route, part.route, db_w, db_t, s_w, s_t, part.judged))
            if a.verbose:
                print(
                    f"{name} {label}: evidence {whole.extra:.2f} / {part.extra:.2f} on {part.judged}, "
                    f"{whole.route} / {part.route}, {db_w:.2f} / {db_t:.2f} dB, {s_w:.1f} / {s_t:.1f} s",
                    flush=True,
                )
        mp = pairs[0][1].shape[0] * pairs[0][1].shape[1] / 1e6 if pairs else 0.0
        if not found:
            rows.append(f"| {name} | {len(pairs)} | {mp:.2f} | 0 | - | - | - | - | - | - | - |")
            continue
        f = np.array([r[:2] + r[4:8] for r in found], dtype=float)
        judged = sum(r[8] is not None for r in found)
        moved = sum(r[2] != r[3] for r in found)
        change = f[:, 1] - f[:, 0]
        rows.append(
            f"| {name} | {len(pairs)} | {mp:.2f} | {len(found)} | {judged} | {moved} | {change.mean():+.3f} | "
            f"{change[np.argmax(abs(change))]:+.3f} | {f[:, 2].mean():.3f} | {f[:, 3].mean():.3f} | "
            f"{f[:, 5].sum() / f[:, 4].sum():.2f} |"
        )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
