"""Peak memory of training on a large tensor file (memory-mapped or read whole) and of denoising a huge image.

    python benchmarks/memory.py --data local/train_data.pkl           # the 50,000-pair course-format file
    python benchmarks/memory.py --data local/train_data.pkl --big-side 20000

Each measurement runs `n2n` in a fresh process and polls /proc/PID/status: VmHWM (peak resident set), and the
peaks of RssAnon (memory the process owns) and RssFile (pages of mapped files, which the kernel can drop and re-read
at any time). Training uses the `tiny` model for one epoch, so the numbers show what the data path costs; a model's
own memory comes on top. Run by hand, not in CI; prints one markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def n2n(*args: str) -> list[str]:
    return [sys.executable, "-m", "n2n_cli", *args]


def peak_memory(cmd: list[str]) -> dict:
    """Run cmd, polling its memory every 50 ms; MiB peaks and the wall time."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count() or 1))}
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peaks = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    while p.poll() is None:
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                key, _, val = line.partition(":")
                if key in peaks:
                    peaks[key] = max(peaks[key], int(val.split()[0]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.05)
    err = p.stderr.read().decode()
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return {k: v / 1024 for k, v in peaks.items()} | {"seconds": time.perf_counter() - t0}


def tiny_model(tmp: Path) -> Path:
    from n2n_cli.io import atomic_save
    from n2n_cli.models import create_model
    from n2n_cli.models.checkpoint import make_checkpoint

    path = tmp / "tiny.pt"
    atomic_save(make_checkpoint(create_model("tiny")), path)
    return path


def big_image(tmp: Path, side: int) -> Path:
    from PIL import Image

    path = tmp / f"big{side}.png"
    y = np.linspace(0, 255, side, dtype=np.float32)
    img = np.empty((side, side, 3), np.uint8)
    for c in range(3):  # a smooth picture, cheap to encode, of the full size
        img[..., c] = ((y[:, None] * (c + 1) + y[None, :]) % 256).astype(np.uint8)
    Image.fromarray(img).save(path, compress_level=1)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="course-format tensor file (e.g. made with `n2n synth`)")
    ap.add_argument("--big-side", type=int, default=0, help="also denoise a SIDE x SIDE RGB image (0: skip)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.data:
            size = args.data.stat().st_size / 2**20
            for flag in ("--mmap", "--no-mmap"):
                m = peak_memory(n2n("train", "--data", str(args.data), "-a", "tiny", "-e", "1", "--device", "cpu",
                                    "-o", str(tmp / "m.pt"), "--overwrite", flag))
                rows.append((f"train tiny, 1 epoch, {args.data.name} ({size:,.0f} MiB), {flag}", m))
        if args.big_side:
            img = big_image(tmp, args.big_side)
            m = peak_memory(n2n("denoise", str(img), str(tmp / "out"), "-m", str(tiny_model(tmp)), "--device", "cpu",
                                "--max-pixels", str(args.big_side**2)))
            mp = args.big_side**2 / 1e6
            rows.append((f"denoise {args.big_side}x{args.big_side} RGB ({mp:,.0f} MP, "
                         f"{args.big_side**2 * 3 / 2**20:,.0f} MiB as uint8), tiny model", m))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| run | peak RSS (VmHWM) MiB | peak RssAnon MiB | peak RssFile MiB | wall s |")
    print("|---|---|---|---|---|")
    for what, m in rows:
        print(f"| {what} | {m['VmHWM']:,.0f} | {m['RssAnon']:,.0f} | {m['RssFile']:,.0f} | {m['seconds']:.1f} |")


if __name__ == "__main__":
    main()
