"""Time of `n2n denoise` on multi-page TIFFs of growing page counts: reading must stay linear in pages (n2n 0.7.0
parsed the whole file again for every frame).

    python -m benchmarks.tiff_pages                       # 250 and 1000 pages of 32 x 32 uint16
    python -m benchmarks.tiff_pages --pages 250 1000 4000 --side 64

Each file holds one page per frame, written page by page (one series per page, the layout whose reading was
quadratic); each run is a fresh process with the untrained `tiny` model, so the time is mostly reading and writing.
Prints one markdown table: wall seconds per run, CPU seconds (user + system, which another load on the machine
changes less), and CPU milliseconds per page. Run by hand, not in CI.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_pages(path: Path, pages: int, side: int) -> None:
    import tifffile

    rng = np.random.default_rng(0)
    with tifffile.TiffWriter(path) as tw:
        for _ in range(pages):
            tw.write(rng.integers(0, 4000, (side, side), dtype=np.uint16), metadata=None)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--side", type=int, default=32)
    args = ap.parse_args(argv)
    import torch

    from n2n_cli.models import create_model
    from n2n_cli.models.checkpoint import make_checkpoint

    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}  # tiny frames: one thread
    print("| pages | wall s | CPU s | CPU ms per page |\n|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="n2n-pages-") as tmp_name:
        tmp = Path(tmp_name)
        torch.save(make_checkpoint(create_model("tiny", channels=1)), tmp / "tiny.pt")
        for n in args.pages:
            write_pages(tmp / f"p{n}.tif", n, args.side)
            cmd = [sys.executable, "-m", "n2n_cli", "denoise", str(tmp / f"p{n}.tif"), str(tmp / f"out{n}")]
            t0, c0 = time.perf_counter(), _cpu()
            subprocess.run([*cmd, "-m", str(tmp / "tiny.pt")], check=True, capture_output=True, env=env)
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            print(f"| {n} | {wall:.1f} | {cpu:.1f} | {1000 * cpu / n:.1f} |", flush=True)


def _cpu() -> float:
    """CPU seconds the finished child processes took (user + system)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    main()
