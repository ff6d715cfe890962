"""Should `n2n denoise` run in bf16 on a CPU that has bf16 units (AVX-512 BF16, AMX)? By hand, not in CI.

The auto route of `n2n denoise` (bundled models) in float32 and under bf16 autocast (TorchPredictor's `cpu_bf16`,
what `n2n train --cpu-bf16` trains with), on the same images, same run: each set's mean PSNR both ways, the mean and
the lowest per-image change, and the ratio of their times. On a CPU without bf16 units autocast is not used and
both columns are float32 (the first line says which).

    python -m experiments.cpu_bf16
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from benchmarks.quality import fmd_pairs, real_pairs, score, synthetic_pairs
from n2n_cli.device import cpu_has_bf16
from n2n_cli.inference.loading import make_denoiser


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
    psnrs: dict[tuple[bool, str], np.ndarray] = {}
    seconds: dict[tuple[bool, str], float] = {}
    for bf16 in (False, True):
        for net in (denoise.net, denoise.gray, denoise.camera):
            net.cpu_bf16 = bf16  # type: ignore[union-attr]  # TorchPredictors: read at each call
        for name, pairs in sets.items():
            t0 = time.perf_counter()
            psnrs[bf16, name] = np.array([score(denoise(x), clean) for _, x, clean in pairs])
            seconds[bf16, name] = time.perf_counter() - t0
    print("| set | images | float32 dB | bf16 dB | change | lowest change | time bf16 / float32 |")
    print("|---|---|---|---|---|---|---|")
    for name in sets:
        f32, b16 = psnrs[False, name], psnrs[True, name]
        print(
            f"| {name} | {len(f32)} | {f32.mean():.3f} | {b16.mean():.3f} | {np.mean(b16 - f32):+.4f} | "
            f"{np.min(b16 - f32):+.3f} | {seconds[True, name] / seconds[False, name]:.2f} |"
        )


if __name__ == "__main__":
    main()
