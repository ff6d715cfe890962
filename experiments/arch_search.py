"""Choose the `fast` model's width and depth by PSNR per CPU-hour of training, not by guess. By hand, not in CI.

For each candidate (a `fast` variant): its cost (GMAC per megapixel, counted by torch.utils.flop_counter), its
network time per megapixel and its training speed on random data, measured here one after the other; then a short
training run of equal CPU time: the number of steps is the time budget times the candidate's measured step rate,
so a machine busy with other work changes the wall time, not the comparison. Training uses the bundled model's
recipe (blind Gaussian noise, clean/gray/JPEG shares, noisy targets only; the shares a little lower than the final
run's) on 64x64 crops; scores are mean PSNR on
the first --images images of CBSD68 at sigma 15/25/50 and of Set12 at sigma 25 (docs/benchmarks.md protocol).

    python -m experiments.arch_search --minutes 9                       # the default candidates
    python -m experiments.arch_search --minutes 1 --only f48x3 --images 2   # a smoke run
    python -m experiments.arch_search --only f48x3 --steps 3000 --noise mix:0-55  # a recipe against the default
    python -m experiments.arch_search --only f48x3 --steps 3000 --channels 1      # a gray-only model, Set12 only

With --steps every candidate trains that many steps instead of a time budget, and --noise replaces the recipe's
noise (e.g. mix:0-55, half Gaussian and half Poisson-Gaussian): two runs then compare recipes on equal updates.
--channels 1 trains a gray model on the training photos read as gray (no gray share: every crop is gray) and
scores it on Set12 only: against the default run it asks whether a separate gray model would serve gray images
better than the colour model's gray share.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import REPO, cpu_model
from n2n_cli.data import open_eval_set, open_train_source
from n2n_cli.evaluation import evaluate
from n2n_cli.inference import Denoiser
from n2n_cli.models import count_parameters, create_model
from n2n_cli.noise import PairRecipe, parse_noise
from n2n_cli.training.schedule import dihedral, lr_at

CANDIDATES: dict[str, dict[str, Any]] = {
    "f48x3": {"widths": (48, 96, 192), "depth": (1, 1, 2)},
    "f32x4": {"widths": (32, 64, 128, 256), "depth": (2, 2, 2, 2)},
    "f64x3": {"widths": (64, 128, 256), "depth": (1, 1, 2)},
    "f48x4": {"widths": (48, 96, 192, 384), "depth": (1, 1, 1, 2)},
}
PATCH, BATCH = 64, 16
RECIPE: dict[str, Any] = dict(clean_share=0.05, gray_share=0.2, jpeg_share=0.2)
NOISE = "gaussian:0-55"
SETS = (("cbsd68", 15), ("cbsd68", 25), ("cbsd68", 50), ("set12", 25))


def cost(kw: dict, channels: int = 3) -> dict:
    """GMAC/MP, parameters, network s/MP (1 MP, median of 3) and training steps/s on random 64x64 batches."""
    model = create_model("fast", channels=channels, **kw).eval()
    with FlopCounterMode(display=False) as fc:
        model(torch.rand(1, channels, 256, 256))
    mac_per_pixel = fc.get_total_flops() / 2 / (256 * 256)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    x = torch.rand(1, channels, 1024, 1024).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        model(x)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    model.train()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    a = torch.rand(BATCH, channels, PATCH, PATCH).contiguous(memory_format=torch.channels_last)
    b = torch.rand(BATCH, channels, PATCH, PATCH)
    for i in range(13):
        if i == 3:
            t0 = time.perf_counter()
        loss = F.mse_loss(model(a), b)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {
        "gmac_per_mp": mac_per_pixel * 1e6 / 1e9,
        "params": count_parameters(model),
        "s_per_mp": sorted(times)[1] / 1.048576,
        "steps_per_s": 10 / (time.perf_counter() - t0),
    }


def train_and_score(kw: dict, steps: int, data: Path, images: int, noise: str = NOISE, channels: int = 3) -> dict:
    torch.manual_seed(0)
    recipe = PairRecipe(parse_noise(noise), **(RECIPE if channels == 3 else {**RECIPE, "gray_share": 0.0}))
    source = open_train_source(data / "train" / "bsds431", recipe=recipe, patch=PATCH, channels=channels)
    model = create_model("fast", channels=channels, **kw).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    lr = 1e-3 * math.sqrt(BATCH / 8)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    source.start(torch.device("cpu"), BATCH, 1)
    g = torch.Generator().manual_seed(1)
    step, epoch, t0 = 0, 0, time.perf_counter()
    while step < steps:
        order = torch.randperm(len(source), generator=torch.Generator().manual_seed(epoch))
        for a, b, *_ in source.epoch(order, epoch):
            if step >= steps:
                break
            a, b = dihedral((a, b), g)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, steps, lr, "cosine")
            loss = F.mse_loss(model(a.contiguous(memory_format=torch.channels_last)), b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        epoch += 1
    out: dict[str, float] = {"steps": steps, "wall_s": round(time.perf_counter() - t0)}
    denoiser = Denoiser(model.eval(), torch.device("cpu"))
    for name, sigma in SETS if channels == 3 else SETS[-1:]:
        folder = data / "dev" / name
        subset = REPO / "local" / "arch_search" / name
        subset.mkdir(parents=True, exist_ok=True)
        for p in sorted(folder.iterdir())[:images]:
            if not (subset / p.name).exists():
                (subset / p.name).symlink_to(p.resolve())
        out[f"{name}:{sigma}"] = evaluate(denoiser, open_eval_set(subset, noise=parse_noise(f"gaussian:{sigma}"))).psnr
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=9.0, help="CPU time per candidate at its measured step rate")
    ap.add_argument("--only", default=",".join(CANDIDATES), help="comma list of candidates")
    ap.add_argument("--images", type=int, default=20, help="first N images of each test set")
    ap.add_argument("--data-root", type=Path, default=REPO / "data")
    ap.add_argument("--steps", type=int, default=0, help="train each candidate this many steps (0: --minutes)")
    ap.add_argument("--noise", default=NOISE, help="the recipe's training noise")
    ap.add_argument("--channels", type=int, choices=(1, 3), default=3, help="1: a gray model, scored on Set12 only")
    args = ap.parse_args()
    parse_noise(args.noise)  # a bad spec fails here, not after the cost measurements
    print(
        f"CPU: {cpu_model()}, torch {torch.__version__}, {torch.get_num_threads()} threads; {args.minutes:g} min "
        f"per candidate (or --steps {args.steps}); {args.channels} channels; recipe {args.noise} "
        f"{json.dumps(RECIPE)}, {PATCH}x{PATCH} crops, batch {BATCH}\n"
    )
    cols = [
        "candidate",
        "widths / depth",
        "params",
        "GMAC/MP",
        "network s/MP",
        "train steps/s",
        "steps",
        "wall s",
        "cbsd68 s15",
        "cbsd68 s25",
        "cbsd68 s50",
        "set12 s25",
    ]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols), flush=True)
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        kw = CANDIDATES[name]
        c = cost(kw, args.channels)
        steps = args.steps or int(args.minutes * 60 * c["steps_per_s"])
        r = train_and_score(kw, steps, args.data_root, args.images, args.noise, args.channels)
        cells = [
            name,
            f"{kw['widths']} / {kw['depth']}",
            f"{c['params']:,}",
            f"{c['gmac_per_mp']:.1f}",
            f"{c['s_per_mp']:.2f}",
            f"{c['steps_per_s']:.2f}",
            str(r["steps"]),
            str(r["wall_s"]),
        ]
        cells += [f"{r[k]:.2f}" if k in r else "-" for k in ("cbsd68:15", "cbsd68:25", "cbsd68:50", "set12:25")]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
