"""What reduced precision costs `n2n denoise`: bf16 (what training takes on a GPU, and `n2n train --cpu-bf16` on a
CPU with bf16 units) and TF32 (what a GPU's float32 convolutions take by default in cuDNN). By hand, not in CI.

The auto route of `n2n denoise` (bundled models) on the same images in the same run: in float32; with TF32
emulated (each convolution's input and weights rounded to TF32's 10 mantissa bits, then computed in float32, which
is what a GPU's TF32 units do up to the order of their sums); and under bf16 autocast (TorchPredictor's `bf16`; on a
CPU without bf16 units autocast is not used and that column is float32: the first line says which). Each set's
mean PSNR in float32, then each mode's mean change and lowest per-image change, and bf16's time against float32's.
Denoising runs in float32 on every device (inference/backends.py) because of what this measures.

    python -m experiments.cpu_bf16
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
from torch import nn

from benchmarks.common import REPO
from benchmarks.quality import fmd_pairs, real_pairs, score, synthetic_pairs
from n2n_cli.device import cpu_has_bf16
from n2n_cli.inference.loading import make_denoiser

MODES = ("float32", "TF32 (emulated)", "bf16")
TF32_BITS = 10  # TF32's explicit mantissa bits (float32: 23)


def round_mantissa(t: torch.Tensor, bits: int) -> torch.Tensor:
    """`t` (float32) rounded to `bits` explicit mantissa bits, to nearest, ties to even."""
    drop = 23 - bits
    i = t.float().contiguous().view(torch.int32)
    i = (i + (1 << (drop - 1)) - 1 + ((i >> drop) & 1)) & ~((1 << drop) - 1)
    return i.view(torch.float32)


def _round_input(_: nn.Module, args: tuple) -> tuple:
    """A convolution's forward pre-hook: its input rounded to TF32."""
    return (round_mantissa(args[0], TF32_BITS), *args[1:])


@contextmanager
def tf32_convs(models: list[nn.Module]) -> Iterator[None]:
    """Within: every convolution of `models` takes its input and weights rounded to TF32."""
    convs = [m for model in models for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    saved = [c.weight.data for c in convs]
    hooks = [c.register_forward_pre_hook(_round_input) for c in convs]
    for c in convs:
        c.weight.data = round_mantissa(c.weight.data, TF32_BITS).to(memory_format=torch.channels_last)
    try:
        yield
    finally:
        for c, w in zip(convs, saved):
            c.weight.data = w
        for h in hooks:
            h.remove()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "data")
    ap.add_argument("--limit", type=int, default=34, help="the first N images of CBSD68")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    print(f"bf16 units on this CPU: {cpu_has_bf16()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    sets = {
        "polyu_dev": real_pairs(a.data / "real/polyu_dev", None),
        "CBSD68 clean": synthetic_pairs(a.data / "dev/cbsd68", 0, a.limit),
        "CBSD68 sigma 25": synthetic_pairs(a.data / "dev/cbsd68", 25, a.limit),
        "CBSD68 sigma 15 JPEG q90": synthetic_pairs(a.data / "dev/cbsd68", 15, a.limit, 90),
        "Set12 clean": synthetic_pairs(a.data / "dev/set12", 0, None),
        "Set12 sigma 25": synthetic_pairs(a.data / "dev/set12", 25, None),
        "FMD confocal": fmd_pairs(a.data / "real/fmd_confocal_bpae_b", ["1", "5", "9", "13", "17"], 4),
    }
    denoise = make_denoiser(None, torch.device("cpu"), route="auto")
    nets = [denoise.net, denoise.gray, denoise.camera]
    psnrs: dict[tuple[str, str], np.ndarray] = {}
    seconds: dict[tuple[str, str], float] = {}
    for mode in MODES:
        for net in nets:
            net.bf16 = mode == "bf16"  # type: ignore[union-attr]  # TorchPredictors: read at each call
        models = [n.model for n in nets]  # type: ignore[union-attr]
        with tf32_convs(models) if mode.startswith("TF32") else nullcontext():
            for name, pairs in sets.items():
                t0 = time.perf_counter()
                psnrs[mode, name] = np.array([score(denoise(x), clean) for _, x, clean in pairs])
                seconds[mode, name] = time.perf_counter() - t0
    changes = " | ".join(f"{m}: change | lowest" for m in MODES[1:])
    print(f"| set | images | float32 dB | {changes} | time bf16 / float32 |")
    print("|---|---|---|" + "---|---|" * (len(MODES) - 1) + "---|")
    for name in sets:
        f32 = psnrs["float32", name]
        cells = " | ".join(
            f"{np.mean(psnrs[m, name] - f32):+.4f} | {np.min(psnrs[m, name] - f32):+.3f}" for m in MODES[1:]
        )
        ratio = seconds["bf16", name] / seconds["float32", name]
        print(f"| {name} | {len(f32)} | {f32.mean():.3f} | {cells} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
