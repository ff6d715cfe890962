"""One prepared run for a lent GPU machine (the `device` tool's `run`): continue training bundled weights on their
own recipe for a fixed wall-clock budget, then the GPU rows of speed.py. By hand, not in CI.

The GPU machine has no data/ and no network, and a session has about 15 minutes of it, start-up included, so:

    python -m experiments.gpu_session prepare  # here: copy the training images and a small val set to local/gpu/
    # there, one call carrying local/gpu (about 36 MB); no install needed, it runs this tree's code:
    python -m experiments.gpu_session run --minutes 6 --out $OUT
    # back here: measure the returned checkpoint with benchmarks/quality.py before bundling it
    python -m tools.bundle_weights FILES_AT/fast-blind.pt weights/fast-blind.pt

`run` reads the recipe (noise, shares, `--balance`, architecture, crop size, channels) from each bundled file's own
training config, so the continuation trains on exactly what that file was trained on; `--init` starts from its weights
with a fresh Adam and a cosine schedule. The number of epochs is fitted to `--minutes`: one epoch first measures the
pace on this machine, then the run trains afresh for the whole epochs that fit in 85% of the time (validation and the
checkpoint after each epoch take the rest). Checkpoints are written every epoch
(atomically) into --out, so a run cut short still returns its last whole epoch. Everything it ran is printed, with
the seconds measured; the log is also written to --out/gpu_session.md. Its validation is Gaussian sigma 25 on
CBSD68 or Set12 (a guard: the camera-noise models must keep it); score real photos back here, e.g.
`python -m benchmarks.quality --sets '' --real data/real/polyu_dev --model FILES_AT/fast-blind.pt`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import REPO, cpu_model
from n2n_cli.io import list_images
from n2n_cli.models.bundled import bundled_dir
from n2n_cli.models.checkpoint import load_checkpoint
from n2n_cli.noise import noise_from_config

STAGE = REPO / "local" / "gpu"
RESERVE = 0.85  # share of --minutes for training epochs; validation and checkpoints (not in the pace) get the rest
VAL = {"fast-blind.pt": "cbsd68", "fast-gray.pt": "set12"}  # each bundled file's validation set, as in its model card


def log(out: Path, line: str = "") -> None:
    print(line, flush=True)
    with open(out / "gpu_session.md", "a") as f:
        f.write(line + "\n")


def n2n(out: Path, *args: object) -> dict:
    """Run `n2n ARGS --json` with this tree's code; the command goes to the log, the JSON result is returned."""
    argv = [str(a) for a in args]
    log(out, "$ n2n " + " ".join(argv))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    r = subprocess.run(
        [sys.executable, "-m", "n2n_cli", *argv, "--json"], cwd=REPO, env=env, capture_output=True, text=True
    )
    if r.returncode:
        log(out, f"n2n failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
        raise SystemExit(1)
    return json.loads(r.stdout)


def recipe(config: dict) -> list[object]:
    """The `n2n train` options that reproduce a checkpoint's synthetic-pair recipe."""
    args: list[object] = [
        "--noise",
        str(noise_from_config(config["noise"])),
        "--arch",
        config["arch"],
        "--patch-size",
        config["patch_size"],
    ]
    for share in ("clean_share", "gray_share", "jpeg_share", "dark_share"):
        if config.get(share):
            args += ["--" + share.replace("_", "-"), config[share]]
    if config.get("channels"):
        args += ["--channels", config["channels"]]
    if config.get("balance"):  # the camera-noise fine-tunes (0.3) weigh each crop by its noise level
        args.append("--balance")
    return args


def prepare(args: argparse.Namespace) -> None:
    """Copy (not link: links do not travel) the training images and the first --val-images of each val set."""
    data = Path(args.data_root)
    if STAGE.exists():
        shutil.rmtree(STAGE)
    (STAGE / "bsds431").mkdir(parents=True)
    for p in list_images(data / "train" / "bsds431")[: args.train_images]:
        shutil.copy2(p, STAGE / "bsds431" / p.name)
    for name in sorted(set(VAL.values())):
        (STAGE / name).mkdir(parents=True)
        for p in list_images(data / "dev" / name)[: args.val_images]:
            shutil.copy2(p, STAGE / name / p.name)
    size = sum(p.stat().st_size for p in STAGE.rglob("*") if p.is_file())
    print(f"{STAGE.relative_to(REPO)}: {size / 2**20:.1f} MiB; carry it: run(carry=['local/gpu'], ...)")


def train(args: argparse.Namespace, out: Path, name: str, minutes: float) -> None:
    config = load_checkpoint(bundled_dir() / name)["config"]
    common = [
        *recipe(config),
        "--data",
        STAGE / "bsds431",
        "--init",
        name,
        "--batch-size",
        args.batch,
        "--lr",
        args.lr,
        "--workers",
        args.workers,
        "--seed",
        args.seed,
        "--device",
        args.device,
        "--overwrite",
    ]
    pace = n2n(out, "train", *common, "--epochs", 1, "-o", out / f"pace-{name}")["metrics"]["seconds"]
    epochs = max(1, math.floor(RESERVE * minutes * 60 / pace))  # whole epochs that fit, so the call's limit holds
    log(out, f"{name}: one epoch {pace:.1f} s -> {epochs} epochs in {minutes:g} minutes")
    (out / f"pace-{name}").unlink(missing_ok=True)
    val = STAGE / VAL[name]
    n2n(out, "train", *common, "--epochs", epochs, "--val", val, "--val-noise", "gaussian:25", "-o", out / name)
    rows = [json.loads(x) for x in (out / name).with_suffix(".metrics.jsonl").read_text().splitlines()]
    log(
        out,
        f"{name}: {len(rows)} epochs, {sum(r['seconds'] for r in rows):.0f} s of training, "
        f"{rows[-1].get('images_per_s')} crops/s in the last; val PSNR (sigma 25, {len(list_images(val))} "
        f"{VAL[name]} images) per epoch: {', '.join('{:.2f}'.format(r['val_psnr']) for r in rows)}",
    )


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    log(
        out,
        f"machine: {gpu}; {cpu_model()}, {os.cpu_count()} logical CPUs; torch {torch.__version__}; "
        f"settings: {', '.join(f'{k}={v}' for k, v in vars(args).items() if k != 'func')}",
    )
    t0 = time.time()
    for name in args.models.split(","):
        train(args, out, name, args.minutes)
    if args.speed:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.speed",
            "--only",
            "train-patches,denoise",
            "--repeats",
            "1",
            "--folder",
            str(STAGE / "bsds431"),
            "--denoise-folder",
            str(STAGE / "cbsd68"),
            "--big-mp",
            str(args.big_mp),
        ]
        log(out, "$ " + " ".join(cmd[1:]))
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        log(out, r.stdout + (r.stderr[-2000:] if r.returncode else ""))
    log(out, f"total {time.time() - t0:.0f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(required=True)
    pp = sub.add_parser("prepare", help="copy the data a run needs into local/gpu/")
    pp.add_argument("--data-root", default=str(REPO / "data"))
    pp.add_argument("--train-images", type=int, default=None, help="first K training images (a smoke run)")
    pp.add_argument("--val-images", type=int, default=16, help="first K images of each validation set")
    pp.set_defaults(func=prepare)
    pr = sub.add_parser("run", help="train on the GPU machine; everything goes to --out")
    pr.add_argument("--out", default=os.environ.get("OUT", str(REPO / "local" / "gpu_out")))
    pr.add_argument("--models", default="fast-blind.pt", help="comma list of bundled files, trained in turn")
    pr.add_argument("--minutes", type=float, default=6.0, help="training time per model")
    pr.add_argument("--batch", type=int, default=64)
    pr.add_argument("--lr", type=float, default=8e-4, help="peak of the cosine (a restart from trained weights)")
    pr.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    pr.add_argument("--seed", type=int, default=7, help="fresh crops and noise, unlike earlier runs' seeds")
    pr.add_argument("--device", default="auto")
    pr.add_argument("--speed", action=argparse.BooleanOptionalAction, default=True, help="speed.py's rows after")
    pr.add_argument("--big-mp", type=float, default=4.0, help="the speed rows' large synthetic image")
    pr.set_defaults(func=run)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
