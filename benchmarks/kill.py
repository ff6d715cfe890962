"""Nothing lost, tried the hostile way: SIGKILL at random moments into folder denoises and training runs, then the
run again until one completes; every rerun must complete and no file of the user's may change.

    python -m benchmarks.kill                                # 20 denoises, 10 trainings (about 5 minutes on 2 cores)
    python -m benchmarks.kill --denoises 3 --trainings 2     # what tests/test_kill.py runs

Each round is seeded (--seed). A denoise round: a folder of photos (JPEG, PNG, a TIFF stack) into an output folder
that holds a photo of the user's; a training round: a tensor-pair file with validation and --keep-epochs into a
folder that holds the user's notes and files named like another run's. The first run, and with even odds the second,
is killed after a random share of an uninterrupted run's time; the rerun is the same command (for training with
`--resume CHECKPOINT` once the checkpoint exists, as the refusal of a plain rerun says). After the last run: exit 0,
every output there and readable (denoise: "denoised N of N"; training: the checkpoint holds every epoch, one metrics
row each), the user's files byte for byte as they were, no temp file left. Prints one line per round and a summary;
exits 1 when a round fails.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EPOCHS = 3  # of a training round
PHOTOS = 40  # of a denoise round, with a TIFF stack: enough that a run spends most of its time writing outputs


def n2n(*args: object) -> list[str]:
    return [sys.executable, "-m", "n2n_cli", *map(str, args)]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_killed(cmd: list[str], after: float | None) -> tuple[int, str]:
    """Run `cmd`; SIGKILL it `after` seconds in (None: let it end). (exit code, stderr)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if after is not None:
        try:
            p.wait(timeout=after)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
    out, err = p.communicate(timeout=600)
    return p.returncode, out + err


def make_photos(folder: Path, rng: random.Random) -> int:
    import tifffile
    from PIL import Image

    folder.mkdir(parents=True)
    gen = np.random.default_rng(rng.randrange(2**32))
    count = 0
    for k in range(PHOTOS):
        img = gen.integers(0, 256, (224, 256, 3), dtype=np.uint8)
        if k % 2:
            Image.fromarray(img).save(folder / f"p{k}.jpg", quality=90)
        else:
            Image.fromarray(img).save(folder / f"p{k}.png")
        count += 1
    tifffile.imwrite(folder / "stack.tif", gen.integers(0, 4000, (6, 64, 64), dtype=np.uint16))
    return count + 1


def denoise_round(root: Path, rng: random.Random, model: Path, pace: float) -> str | None:
    """One denoise round; None when it passed, else what went wrong."""
    photos, out = root / "photos", root / "out"
    total = make_photos(photos, rng)
    out.mkdir()
    (out / "mine.png").write_bytes(b"the user's own picture, not an input")
    (out / "notes.txt").write_text("the user's notes\n")
    user = {
        "photos": snapshot(photos),
        "mine": (out / "mine.png").read_bytes(),
        "notes": (out / "notes.txt").read_text(),
    }
    cmd = n2n("denoise", photos, out, "-m", model)
    kills = [rng.uniform(0.05, 1.0) * pace] + ([rng.uniform(0.05, 1.0) * pace] if rng.random() < 0.5 else [])
    for after in kills:
        run_killed(cmd, after)
    code, text = run_killed(cmd, None)
    if code != 0 or f"denoised {total} of {total}" not in text:
        return f"the rerun did not complete (exit {code}): {text.strip()[-300:]}"
    if snapshot(photos) != user["photos"]:
        return "an input changed"
    if (out / "mine.png").read_bytes() != user["mine"] or (out / "notes.txt").read_text() != user["notes"]:
        return "a file of the user's in the output folder changed"
    left = [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name == ".n2n-lock"]
    if left:
        return f"left behind: {left}"
    return None


def make_pairs(path: Path, rng: random.Random, count: int) -> None:
    import torch

    g = torch.Generator().manual_seed(rng.randrange(2**31))
    clean = torch.rand(count, 3, 1, 1, generator=g) * 0.6 + 0.2 + torch.zeros(count, 3, 32, 32)
    a = (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    b = (clean * 255 + 20 * torch.randn(clean.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    torch.save((a, b), path)


def training_command(root: Path, rng: random.Random) -> list[object]:
    """The data of a training round, written into `root`, and the command that trains on it."""
    root.mkdir(parents=True, exist_ok=True)
    make_pairs(root / "train.pt", rng, 256)
    make_pairs(root / "val.pt", rng, 16)
    base: list[object] = ["train", "--data", root / "train.pt", "--val", root / "val.pt", "-a", "tiny"]
    return base + ["-e", EPOCHS, "-b", 8, "--keep-epochs", "-o", root / "m.pt", "--workers", 0]


def training_round(root: Path, rng: random.Random, pace: float) -> str | None:
    """One training round; None when it passed, else what went wrong."""
    import torch

    base = training_command(root, rng)
    (root / "notes.txt").write_text("the user's notes\n")
    (root / "other.metrics.jsonl").write_text('{"epoch": 1, "loss": 0.5}\n')  # another run's, by name only
    (root / "m.e9.pt").write_bytes(b"the user's file, named like an epoch this run does not reach")
    user = snapshot(root)
    out = root / "m.pt"

    def done() -> bool:  # the checkpoint is written last: holding every epoch, the run's work is all there
        return out.exists() and torch.load(out, weights_only=True)["epoch"] == EPOCHS

    def command() -> list[str]:  # the same command, resuming once there is a checkpoint (as a plain rerun says)
        return n2n(*base, *(["--resume", out] if out.exists() else []))

    kills = [rng.uniform(0.05, 1.0) * pace] + ([rng.uniform(0.05, 1.0) * pace] if rng.random() < 0.5 else [])
    for after in kills:
        if not done():
            run_killed(command(), after)
    if not done():
        code, text = run_killed(command(), None)
        if code != 0:
            return f"the rerun did not complete (exit {code}): {text.strip()[-300:]}"
    ck = torch.load(out, weights_only=True)
    rows = (root / "m.metrics.jsonl").read_text().splitlines()
    if ck["epoch"] != EPOCHS or len(rows) != EPOCHS:
        return f"the checkpoint holds epoch {ck['epoch']}, the metrics {len(rows)} rows"
    if not all((root / f"m.e{k}.pt").is_file() for k in range(1, EPOCHS + 1)) or not (root / "m.best.pt").is_file():
        return "an epoch's file is missing"
    now = snapshot(root)
    if any(now.get(name) != data for name, data in user.items()):
        return "a file of the user's changed"
    left = [p.name for p in root.iterdir() if p.name.endswith(".tmp")]
    if left:
        return f"left behind: {left}"
    return None


def timed(cmd: list[str]) -> float:
    """Seconds an uninterrupted run of `cmd` takes (the kills land within it)."""
    t0 = time.perf_counter()
    code, text = run_killed(cmd, None)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{text}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--denoises", type=int, default=20)
    ap.add_argument("--trainings", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="n2n-kill-") as tmp_name:
        tmp = Path(tmp_name)
        import torch

        from n2n_cli.models import create_model
        from n2n_cli.models.checkpoint import make_checkpoint

        model = tmp / "tiny.pt"
        torch.save(make_checkpoint(create_model("tiny")), model)
        make_photos(tmp / "pace" / "photos", random.Random(0))
        denoise_pace = timed(n2n("denoise", tmp / "pace" / "photos", tmp / "pace" / "out", "-m", model))
        train_pace = timed(n2n(*training_command(tmp / "pace-train", random.Random(0))))
        print(f"uninterrupted: a denoise {denoise_pace:.1f} s, a training {train_pace:.1f} s (kills land within)")
        rounds = [("denoise", k) for k in range(args.denoises)] + [("train", k) for k in range(args.trainings)]
        for kind, k in rounds:
            root = tmp / f"{kind}{k}"
            why = (
                denoise_round(root, rng, model, denoise_pace)
                if kind == "denoise"
                else training_round(root, rng, train_pace)
            )
            failed += why is not None
            print(f"{kind} {k + 1}: {'ok' if why is None else 'FAILED: ' + why}", flush=True)
    total = args.denoises + args.trainings
    print(f"{total - failed} of {total} rounds passed (seed {args.seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
