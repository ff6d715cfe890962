"""How much could fitting the default model to one camera gain at all? An upper bound for issue 35's per-camera
target (+0.5 dB over `n2n denoise` on a held-out polyu_dev camera, in 15 CPU minutes). By hand, not in CI.

The default colour model is fine-tuned on one camera's noisy photos against their means: clean targets, which a
user fitting from noisy shots alone does not have. It trains on half of the camera's scenes and is scored on the
other half, then the halves swap (a scene's crops stay on one side). Every `--every` steps it prints the gain over
the noisy input, on the held-out half, of the fitted model's plain pass, beside the default model's plain pass and
the auto route of `n2n denoise` (the default: two passes, the weak route's factor, chroma hold); at the end, the
fitted model's mean over the photo and its anti-transpose (the weak route's two passes, not scaled), the
auto route with the fitted model in the default's place, and the best of the plain scores printed along the way (a
step picked in hindsight, on the scored half: more than a fit could know). A fit from noisy photos alone learns
from a weaker signal than clean targets of the same camera (it may fit the very photos it is scored on, which this
may not), so what this gains over the auto route in the budget is about the most such a fit could be expected to.

    python -m experiments.camera_oracle --camera Sony --cpu-seconds 450 --every 100 --lr 3e-5

CPU seconds are counted by `time.process_time` (both cores), as in experiments.camera_fit.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from experiments.camera_shots import load, psnr, quantize
from n2n_cli.inference.backends import TorchPredictor
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.io import list_images
from n2n_cli.models.bundled import load_model


def anti(x: torch.Tensor) -> torch.Tensor:
    """The anti-transpose of N x C x H x W images (its own inverse), the weak route's second pass (Denoiser._weak)."""
    return x.flip(2, 3).transpose(2, 3)


def as_image(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray((t[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def as_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a.astype(np.float32) / 255).permute(2, 0, 1)[None]


def folds(names: list[str]) -> tuple[list[int], list[int]]:
    """Indices of two halves of the photos, a scene's crops (names that differ only after the last `_`) together: the
    scenes, largest first, each to the half with fewer photos so far."""
    scene = [n.rsplit("_", 1)[0] for n in names]
    halves: tuple[list[int], list[int]] = ([], [])
    for s in sorted(set(scene), key=lambda s: (-scene.count(s), s)):
        min(halves, key=len).extend(i for i, n in enumerate(scene) if n == s)
    return sorted(halves[0]), sorted(halves[1])


def pair_crops(
    xs: list[torch.Tensor], ys: list[torch.Tensor], batch: int, crop: int, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch` aligned crops of noisy photos and their means, each turned a random quarter and maybe mirrored."""
    ins: list[torch.Tensor] = []
    outs: list[torch.Tensor] = []
    for _ in range(batch):
        i = int(torch.randint(len(xs), (1,), generator=g))
        y0 = int(torch.randint(0, xs[i].shape[2] - crop + 1, (1,), generator=g))
        x0 = int(torch.randint(0, xs[i].shape[3] - crop + 1, (1,), generator=g))
        turns, flip = int(torch.randint(4, (1,), generator=g)), bool(torch.randint(2, (1,), generator=g))
        for src, dst in ((xs[i], ins), (ys[i], outs)):
            c = torch.rot90(src[..., y0 : y0 + crop, x0 : x0 + crop], turns, (2, 3))
            dst.append(c.flip(3) if flip else c)
    return torch.cat(ins), torch.cat(outs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--camera", default="Sony", help="the photos whose names start with this")
    ap.add_argument("--cpu-seconds", type=float, default=450, help="fitting budget per half (two halves: twice this)")
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    paths = [p for p in list_images(a.data / "noisy") if p.name.startswith(a.camera)]
    shots, means = [load(p) for p in paths], [load(a.data / "mean" / p.name) for p in paths]
    base, _ = load_model(None)
    base.eval()
    auto = make_denoiser(None, torch.device("cpu"), route="auto")
    default_net = auto.net

    def gains(idx: list[int], fn: Callable[[torch.Tensor], torch.Tensor]) -> float:
        with torch.inference_mode():
            return float(np.mean([psnr(quantize(fn(shots[i])), means[i]) - psnr(shots[i], means[i]) for i in idx]))

    def through_auto(x: torch.Tensor) -> torch.Tensor:
        return as_tensor(auto(as_image(x)))

    print(f"{len(paths)} photos of {a.camera}; gain over the noisy input on the held-out half, dB, against the means")
    totals: dict[str, list[float]] = {}
    for half, (train, test) in enumerate((folds([p.name for p in paths]), folds([p.name for p in paths])[::-1])):
        torch.manual_seed(a.seed + half)
        g = torch.Generator().manual_seed(a.seed + half)
        auto.net = default_net
        fixed = {"auto route (default)": gains(test, through_auto), "default, plain": gains(test, base)}
        print(f"half {half + 1}: fit on {len(train)} photos, scored on {len(test)}: " + _line(fixed), flush=True)
        net = copy.deepcopy(base).train()
        opt = torch.optim.Adam(net.parameters(), lr=a.lr)
        t0, step, best = time.process_time(), 0, float("-inf")
        while time.process_time() - t0 < a.cpu_seconds:
            x, y = pair_crops([shots[i] for i in train], [means[i] for i in train], a.batch, a.crop, g)
            loss = torch.nn.functional.mse_loss(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % a.every == 0:
                net.eval()
                scoring, now = time.process_time(), gains(test, net)
                best = max(best, now)
                print(f"  step {step} ({scoring - t0:.0f} CPU s): fitted, plain {now:+.3f}", flush=True)
                t0 += time.process_time() - scoring  # scoring is not fitting
                net.train()
        net.eval()
        auto.net = TorchPredictor(net, torch.device("cpu"))
        fitted = {
            "fitted, plain": gains(test, net),
            "fitted, two passes": gains(test, lambda x, f=net: (f(x) + anti(f(anti(x)))) / 2),  # type: ignore[misc]
            "auto route, fitted": gains(test, through_auto),
            "fitted, plain, best step in hindsight": max(best, gains(test, net)),
        }
        print(f"  after {step} steps: " + _line(fitted), flush=True)
        for k, v in {**fixed, **fitted}.items():
            totals.setdefault(k, []).append(v * len(test))
    print(
        f"{a.camera}, both halves (mean gain per photo): " + _line({k: sum(v) / len(paths) for k, v in totals.items()})
    )


def _line(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.3f}" for k, v in values.items())


if __name__ == "__main__":
    main()
