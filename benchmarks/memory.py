"""Peak memory of training on a large tensor file (memory-mapped or read whole) and of denoising a huge image.

    python -m benchmarks.memory --data local/train_data.pkl           # the 50,000-pair course-format file
    python -m benchmarks.memory --data local/train_data.pkl --big-side 20000

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

from benchmarks.common import command, describe, machine, write_results


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
    assert p.stderr is not None  # stderr=PIPE
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
    ap.add_argument("--json", type=Path, default=None, help="also write the results here (benchmarks/results/)")
    ap.add_argument("--title", default="Memory", help="the title of the results in --json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.data:
            size = args.data.stat().st_size / 2**20
            for flag in ("--mmap", "--no-mmap"):
                m = peak_memory(
                    n2n(
                        "train",
                        "--data",
                        str(args.data),
                        "-a",
                        "tiny",
                        "-e",
                        "1",
                        "--device",
                        "cpu",
                        "-o",
                        str(tmp / "m.pt"),
                        "--overwrite",
                        flag,
                    )
                )
                rows.append((f"train tiny, 1 epoch, {args.data.name} ({size:,.0f} MiB), {flag}", m))
        if args.big_side:
            img = big_image(tmp, args.big_side)
            m = peak_memory(
                n2n(
                    "denoise",
                    str(img),
                    str(tmp / "out"),
                    "-m",
                    str(tiny_model(tmp)),
                    "--device",
                    "cpu",
                    "--max-pixels",
                    str(args.big_side**2),
                )
            )
            mp = args.big_side**2 / 1e6
            rows.append(
                (
                    f"denoise {args.big_side}x{args.big_side} RGB ({mp:,.0f} MP, "
                    f"{args.big_side**2 * 3 / 2**20:,.0f} MiB as uint8), tiny model",
                    m,
                )
            )
    info = machine()
    results = [{"run": what, **m} for what, m in rows]
    print(describe(info) + "\n")
    print(render({"rows": results}))
    if args.json is not None:
        write_results(args.json, "memory", args.title, command("benchmarks.memory"), info, results, [])
        print(f"\nwrote {args.json}")


def render(doc: dict) -> str:
    """The table of a run's results (also docs/results.md's, from its JSON)."""
    lines = ["| run | peak RSS (VmHWM) MiB | peak RssAnon MiB | peak RssFile MiB | wall s |", "|---|---|---|---|---|"]
    for r in doc["rows"]:
        lines.append(
            f"| {r['run']} | {r['VmHWM']:,.0f} | {r['RssAnon']:,.0f} | {r['RssFile']:,.0f} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
