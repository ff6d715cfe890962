"""Single noisy images (`n2n train --single`, Neighbor2Neighbor) against noisy pairs at equal training time, and the
quality estimate from noisy pairs (`n2n eval --pairs`) against the truth. By hand, not in CI; every table says what
ran: the commands, the settings, the seconds measured.

Run from the repository root; data comes from data/ (--data-root, see docs/benchmarks.md), outputs go to
local/single_vs_pairs/ (git-ignored):

    python -m experiments.single_vs_pairs synthetic --minutes 30   # bsds431 + sigma 25 -> cbsd68 sigma 25
    python -m experiments.single_vs_pairs fmd --minutes 30         # FMD confocal fields 1-17 -> fields 18 and 20
    python -m experiments.single_vs_pairs estimate                 # estimated vs true PSNR, synthetic and FMD
    python -m experiments.single_vs_pairs folders                  # only write the synthetic folders (longer runs)
    python -m experiments.single_vs_pairs synthetic --minutes 2 --train-limit 16 --test-limit 4   # a smoke run

synthetic: the pair model trains with `--noise gaussian:25` (two fresh noisy copies of every crop); the single model
with `--single` on one noisy copy of every training image, made once with seeded sigma-25 noise (clipped, 8-bit,
as a real file). fmd: the pair model trains on raw/<field>/ captures (10 per field), the single model on the first
capture of each field only. Equal time: each method first trains one epoch to measure its seconds per epoch, then
trains afresh for the whole number of epochs nearest to --minutes; the table gives the seconds it actually took.

estimate: pairs of captures are scored with `n2n eval DIR --pairs`, the truth with the same model against the
clean image (synthetic) or avg50 (FMD), both as the PSNR of the mean squared error over all pixels, over the same
first captures. FMD's avg50 is itself a mean of 50 captures taken over time, so it carries their photobleaching;
the second truth column scales it to each capture's mean brightness, the third also takes out avg50's own error,
measured from the captures alone (`reference_error`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO, cpu_model
from n2n_cli import defaults
from n2n_cli.data import open_pair_set
from n2n_cli.device import pick_device
from n2n_cli.evaluation.metrics import psnr_of_mse, quantize_to, share_limit, structure_share
from n2n_cli.inference import make_denoiser
from n2n_cli.io import list_images, match_channels, read_image, to_float, write_png
from n2n_cli.noise import parse_noise

# (first capture's name, channels, first capture) -> (reference, matched, input error, output error): truth's references
Refs = Callable[[str, int, torch.Tensor], tuple[torch.Tensor, torch.Tensor, float, float]]

WORK = REPO / "local" / "single_vs_pairs"
FMD_TRAIN = [str(f) for f in range(1, 18)]
FMD_TEST = ["18", "20"]
SIGMA = 25.0
ran: list[str] = []  # every n2n command, in order, for the report


# --- plumbing ------------------------------------------------------------------------------------------------------


def n2n(*args: object) -> dict:
    """Run `n2n ARGS --json` (this tree's code) and return its JSON; the command is kept for the report."""
    argv = [os.path.relpath(a, REPO) if isinstance(a, Path) else str(a) for a in args]  # run from REPO
    ran.append("n2n " + " ".join(shlex.quote(a) for a in argv))
    print(f"$ {ran[-1]}", file=sys.stderr, flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    r = subprocess.run(
        [sys.executable, "-m", "n2n_cli", *argv, "--json"], cwd=REPO, env=env, capture_output=True, text=True
    )
    if r.returncode:
        raise SystemExit(f"n2n failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return json.loads(r.stdout)


def fresh(folder: Path) -> Path:
    """An empty folder under WORK (symbolic links in an old one are removed, never what they point to)."""
    assert WORK in folder.parents
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def link(target: Path, at: Path) -> None:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(target.resolve())


def unit(img: np.ndarray, channels: int) -> torch.Tensor:
    return torch.from_numpy(to_float(match_channels(img, channels))).permute(2, 0, 1)[None]


def add_noise(clean: np.ndarray, seed: int) -> np.ndarray:
    """A seeded sigma-25 noisy copy as a file holds it (clipped, 8-bit), through n2n's own noise model."""
    x = unit(clean, clean.shape[2])
    y = parse_noise(f"gaussian:{SIGMA:g}")(x, torch.Generator().manual_seed(seed))
    return np.rint(y[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def header(args: argparse.Namespace) -> None:
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}; "
        f"settings: {', '.join(f'{k}={v}' for k, v in vars(args).items())}\n"
    )


# --- training comparison -------------------------------------------------------------------------------------------


def train_timed(name: str, data_args: list[object], args: argparse.Namespace) -> tuple[Path, int, float]:
    """Train one epoch to measure this method's pace, then afresh for the whole epochs nearest to args.minutes.
    Returns (checkpoint, epochs, training seconds measured)."""
    common = [
        "--arch",
        args.arch,
        "--patch-size",
        args.patch,
        "--batch-size",
        args.batch,
        "--workers",
        args.workers,
        "--seed",
        defaults.SEED,
        "--device",
        args.device,
        "--overwrite",
    ]
    calib = WORK / f"{name}-pace.pt"
    r = n2n("train", *data_args, *common, "--epochs", 1, "-o", calib)
    epochs = max(1, round(args.minutes * 60 / r["metrics"]["seconds"]))  # nearest, so whole epochs miss by <= half
    out = WORK / f"{name}.pt"
    n2n("train", *data_args, *common, "--epochs", epochs, "-o", out)
    rows = [json.loads(line) for line in out.with_name(out.stem + ".metrics.jsonl").read_text().splitlines()]
    return out, epochs, sum(m["seconds"] for m in rows)


def compare(
    title: str,
    prefix: str,
    runs: list[tuple[str, list[object]]],
    score: Callable[[Path], dict],
    args: argparse.Namespace,
) -> None:
    """Train each run (its checkpoint: WORK/PREFIX-<first word of its label>.pt) and score it."""
    rows = []
    for label, data_args in runs:
        ckpt, epochs, seconds = train_timed(f"{prefix}-{label.split()[0]}", data_args, args)
        s = score(ckpt)
        rows.append(
            [label, str(epochs), f"{seconds:.0f}", f"{s['psnr']:.2f}", f"{s['psnr_noisy']:.2f}", f"{s['gain']:+.2f}"]
        )
    print(f"### {title}\n")
    table(["method", "epochs", "training s (measured)", "PSNR dB", "noisy input dB", "gain dB"], rows)


def synthetic_folders(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """(clean training images, their seeded sigma-25 single noisy copies, cbsd68 test images) under WORK."""
    root = Path(args.data_root)
    clean = fresh(WORK / "bsds_clean")
    single = fresh(WORK / "bsds_single_sigma25")
    for k, p in enumerate(list_images(root / "train" / "bsds431")[: args.train_limit]):
        link(p, clean / p.name)
        img = read_image(p)
        write_png(single / (p.stem + ".png"), add_noise(img[..., :3], defaults.SEED + k))
    test = fresh(WORK / "cbsd68_test")
    for p in list_images(root / "dev" / "cbsd68")[: args.test_limit]:
        link(p, test / p.name)
    return clean, single, test


def folders(args: argparse.Namespace) -> None:
    """Only write the synthetic run's folders, for longer runs by hand (`n2n train --data FOLDER --single ...`)."""
    for name, folder in zip(("clean", "single", "test"), synthetic_folders(args)):
        print(f"{name}: {os.path.relpath(folder, REPO)} ({len(list_images(folder))} images)")


def synthetic(args: argparse.Namespace) -> None:
    clean, single, test = synthetic_folders(args)

    def score(ckpt):
        return n2n(
            "eval",
            test,
            "--noise",
            f"gaussian:{SIGMA:g}",
            "--model",
            ckpt,  # noqa: E731
            "--device",
            args.device,
        )

    header(args)
    compare(
        f"bsds431 ({len(list_images(clean))} images) -> cbsd68 ({len(list_images(test))} images), Gaussian "
        f"sigma {SIGMA:g}, --arch {args.arch}, {args.minutes:g} min each",
        "synthetic",
        [
            ("pairs (--noise gaussian:25)", ["--data", clean, "--noise", f"gaussian:{SIGMA:g}"]),
            ("single (--single, one noisy copy per image)", ["--data", single, "--single"]),
        ],
        score,
        args,
    )
    print("commands:\n\n```\n" + "\n".join(ran) + "\n```")


def fmd_folders(root: Path) -> tuple[Path, Path, Path]:
    """Training pairs (fields 1-17, all captures), single images (their first captures), and the test set."""
    fmd = root / "real" / "fmd_confocal_bpae_b"
    pairs, single, test = fresh(WORK / "fmd_train_pairs"), fresh(WORK / "fmd_train_single"), fresh(WORK / "fmd_test")
    for f in FMD_TRAIN:
        link(fmd / "raw" / f, pairs / f)
        link(list_images(fmd / "raw" / f)[0], single / f"{f}.png")
    for f in FMD_TEST:
        link(fmd / "raw" / f, test / "raw" / f)
        link(fmd / "gt" / f, test / "gt" / f)
    return pairs, single, test


def fmd(args: argparse.Namespace) -> None:
    pairs, single, test = fmd_folders(Path(args.data_root))

    def score(ckpt):
        return n2n(
            "eval",
            test / "raw",
            "--clean",
            test / "gt",
            "--model",
            ckpt,  # noqa: E731
            "--device",
            args.device,
        )

    header(args)
    compare(
        f"FMD Confocal_BPAE_B: fields {FMD_TRAIN[0]}-{FMD_TRAIN[-1]} -> fields {' and '.join(FMD_TEST)} "
        f"(every capture against avg50), --arch {args.arch}, {args.minutes:g} min each",
        "fmd",
        [
            ("pairs (raw/FIELD/, 10 captures each)", ["--data", pairs]),
            ("single (--single, first capture of each field)", ["--data", single, "--single"]),
        ],
        score,
        args,
    )
    print("commands:\n\n```\n" + "\n".join(ran) + "\n```")


# --- the estimate against the truth --------------------------------------------------------------------------------


def expected_capture(clean: np.ndarray, sigma: float) -> torch.Tensor:
    """E[x] of a noisy capture x = round(clip(y + N(0, sigma^2))) as 8 bits, computed exactly per pixel: what the
    estimate measures against, which differs from y where clipping makes the noise's mean non-zero."""
    levels = torch.arange(256, dtype=torch.float64) / 255
    s = sigma / 255
    lo = torch.special.ndtr((levels[None, :] - 0.5 / 255 - levels[:, None]) / s)  # [y level, x level]
    hi = torch.special.ndtr((levels[None, :] + 0.5 / 255 - levels[:, None]) / s)
    p = hi - lo
    p[:, 0], p[:, -1] = hi[:, 0], 1 - lo[:, -1]  # everything below 0 rounds to 0, above 1 to 255
    mean = (p * levels).sum(1)
    return mean[torch.from_numpy(np.ascontiguousarray(clean)).long()].permute(2, 0, 1)[None]


def truth(model: str | None, pairs_dir: Path, refs: Refs, device: str) -> tuple[float, ...]:
    """PSNR (of the pooled MSE) of the pairs' first captures and of the model's outputs for them, against the
    references `refs(first_capture_name, channels, first_capture)` gives: the clean image, the mean capture, and the
    squared errors of the mean capture itself for an input and for an output (zero where it is exact); the last two
    values come with those errors taken out."""
    denoiser = make_denoiser(model, pick_device(device))
    sums, taken_out = np.zeros(4), np.zeros(2)
    samples = 0
    for b in open_pair_set(pairs_dir).batches():
        ref, matched, err_in, err_out = refs(b.names[0], b.first.shape[1], b.first)
        out = quantize_to(denoiser.predict(b.first), b.bits)
        for i, (x, r) in enumerate([(b.first, ref), (out, ref), (b.first, matched), (out, matched)]):
            sums[i] += ((x.double() - r.double()) ** 2).sum().item()
        taken_out += np.array([err_in, err_out]) * b.first.numel()
        samples += b.first.numel()
    return tuple(psnr_of_mse(s / samples) for s in [*sums, sums[2] - taken_out[0], sums[3] - taken_out[1]])


def reference_error(raw: Path, avg50: Path) -> dict:
    """How far avg50 (scaled to the captures' mean brightness) is from the captures' own noise-free mean, measured
    from the captures alone, no model involved ([0, 1] scale). `sigma2`: the noise variance, half the mean squared
    difference of consecutive captures. `bias2`: the mean squared error of avg50 against the mean of the n captures
    less what their noise explains: with the n captures among avg50's 50, the difference holds noise of variance
    sigma2 (1/n - 1/50), the rest is avg50's own error (bleaching over its 50 captures, 8-bit rounding). `drift2`:
    how much the noise-free capture itself changes between the first and the last capture (the growth of the half
    mean squared difference with the captures' distance). An input x1 then reads bias2 - sigma2/50 worse against
    avg50 than against E[x1] (x1 is in avg50), an output bias2 + sigma2/50 (avg50's noise is not in it)."""
    caps = [to_float(read_image(p)).astype(np.float64) for p in list_images(raw)]
    n = len(caps)
    half = lambda a, b: ((a - b) ** 2).mean() / 2  # noqa: E731
    sigma2 = float(np.mean([half(a, b) for a, b in zip(caps, caps[1:])]))
    mean = np.mean(caps, 0)
    ref = to_float(read_image(avg50)).astype(np.float64)
    ref = ref * (mean.mean() / ref.mean())
    bias2 = float(((mean - ref) ** 2).mean()) - sigma2 * (1 / n - 1 / 50)
    return {"n": n, "sigma2": sigma2, "bias2": bias2, "drift2": 2 * (half(caps[0], caps[-1]) - sigma2)}


def shares(synth: Path, fmd_fields: list[Path]) -> None:
    """The refusal criterion measured: structure shares of one-scene pairs and of pairs of two scenes."""

    def firsts_seconds(d: Path) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        batches = list(open_pair_set(d).batches())
        return [b.first for b in batches], [b.second for b in batches]

    def share(a: torch.Tensor, b: torch.Tensor) -> float:
        h, w = min(a.shape[-2], b.shape[-2]), min(a.shape[-1], b.shape[-1])
        return structure_share(a[..., :h, :w], b[..., :h, :w], defaults.PAIR_BLOCK).item()

    rows = []
    for label, dirs in ((synth.name, [synth]), ("FMD fields " + " and ".join(FMD_TEST), fmd_fields)):
        got = [firsts_seconds(d) for d in dirs]
        firsts = [t for f, _ in got for t in f]
        seconds = [t for _, s in got for t in s]
        one = [share(a, b) for a, b in zip(firsts, seconds)]
        half = len(seconds) // 2  # each first capture against a second one half the list on: another scene (field)
        two = [share(a, b) for a, b in zip(firsts, seconds[half:] + seconds[:half])]
        rows.append([label, str(len(one)), f"{max(one):.2%}", f"{min(two):.2%}"])
    print(
        f"### The refusal criterion: share of a pair's difference that is structure (refused above "
        f"{share_limit(defaults.PAIR_TOLERANCE_DB):.2%})\n"
    )
    table(
        ["pairs", "pairs", "one scene: largest", "two scenes (first captures against other scenes' seconds): smallest"],
        rows,
    )


def estimate(args: argparse.Namespace) -> None:
    root = Path(args.data_root)
    header(args)
    rows = []

    def check(label: str, pairs_dir: Path, refs: Refs, models: list[str]) -> None:
        for m in models:
            r = n2n("eval", pairs_dir, "--pairs", "--device", args.device, *(["--model", Path(m)] if m else []))
            t_in, t_out, t_in_m, t_out_m, t_in_c, t_out_c = truth(
                m or None, pairs_dir, refs, args.device
            )  # "": bundled
            name = Path(r["model"]).name + (f" + {Path(r['gray_model']).name} (gray)" if "gray_model" in r else "")
            est_in, est_out = r["input_psnr_estimate"], r["psnr_estimate"]
            vs = lambda est, true: f"{true:.2f} ({est - true:+.2f})"  # noqa: E731
            exact = not label.startswith("FMD")  # the synthetic mean capture is exact: nothing to take out
            rows.append(
                [
                    label,
                    name,
                    str(r["count"]),
                    f"{r['sigma_estimate']:.2f}",
                    f"{est_in:.2f}",
                    vs(est_in, t_in),
                    vs(est_in, t_in_m),
                    "" if exact else vs(est_in, t_in_c),
                    f"{est_out:.2f}",
                    vs(est_out, t_out),
                    vs(est_out, t_out_m),
                    "" if exact else vs(est_out, t_out_c),
                ]
            )

    # synthetic pairs: two seeded sigma-25 copies of each clean cbsd68 image, as scenes
    synth = fresh(WORK / "estimate_cbsd68")
    clean = {}
    for k, p in enumerate(list_images(root / "dev" / "cbsd68")[: args.test_limit]):
        img = read_image(p)[..., :3]
        clean[p.stem] = img
        write_png(synth / p.stem / "1.png", add_noise(img, defaults.VAL_NOISE_SEED + 2 * k))
        write_png(synth / p.stem / "2.png", add_noise(img, defaults.VAL_NOISE_SEED + 2 * k + 1))
    scene = lambda name: Path(name.split(" + ")[0]).parent.name  # noqa: E731  pairs are named "first + second"

    def synth_refs(name: str, channels: int, first: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float, float]:
        return unit(clean[scene(name)], channels), expected_capture(clean[scene(name)], SIGMA), 0.0, 0.0

    trained = [WORK / "synthetic-pairs.pt", WORK / "synthetic-single.pt"]
    models = [args.model] + [str(p) for p in trained if p.is_file()]
    check(f"cbsd68 sigma {SIGMA:g} ({len(clean)} images)", synth, synth_refs, models)

    # FMD: capture pairs of the test fields against avg50
    fmd = root / "real" / "fmd_confocal_bpae_b"
    refs_err = {f: reference_error(fmd / "raw" / f, fmd / "gt" / f / "avg50.png") for f in FMD_TEST}

    def gt(name: str, channels: int, first: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float, float]:
        ref = unit(read_image(fmd / "gt" / scene(name) / "avg50.png"), channels)
        e = refs_err[scene(name)]
        return (
            ref,
            ref * (first.double().mean() / ref.double().mean()),  # avg50 at the capture's brightness
            e["bias2"] - e["sigma2"] / 50,
            e["bias2"] + e["sigma2"] / 50,
        )

    fmd_models = [args.fmd_model] + [str(p) for p in (WORK / "fmd-pairs.pt", WORK / "fmd-single.pt") if p.is_file()]
    for f in FMD_TEST + [FMD_TEST]:
        fields = f if isinstance(f, list) else [f]
        d = fresh(WORK / f"estimate_fmd_{'_'.join(fields)}")
        for x in fields:
            link(fmd / "raw" / x, d / x)
        check(f"FMD field {' and '.join(fields)}", d, gt, fmd_models)

    shares(synth, [WORK / "estimate_fmd_18", WORK / "estimate_fmd_20"])
    for f in FMD_TEST:  # photobleaching: the captures darken over time, and avg50 spans 50 of them
        means = [read_image(p).mean() for p in list_images(fmd / "raw" / f)]
        print(
            f"FMD field {f}: mean brightness of its captures {min(means):.2f}-{max(means):.2f} of 255, of avg50 "
            f"{read_image(fmd / 'gt' / f / 'avg50.png').mean():.2f}\n"
        )
    print(
        "### FMD's reference: avg50 against the captures' own mean, from the captures alone (squared levels of 255)\n"
    )
    lv = lambda v: f"{v * 255**2:.2f}"  # noqa: E731
    table(
        [
            "field",
            "captures",
            "noise variance (consecutive captures)",
            "avg50's own error (bias2)",
            "change of the noise-free capture, first to last (drift2)",
            "taken out of an input / an output",
        ],
        [
            [
                f,
                str(e["n"]),
                lv(e["sigma2"]),
                lv(e["bias2"]),
                lv(e["drift2"]),
                f"{lv(e['bias2'] - e['sigma2'] / 50)} / {lv(e['bias2'] + e['sigma2'] / 50)}",
            ]
            for f, e in refs_err.items()
        ],
    )
    print("### Estimated from noisy pairs vs true PSNR (dB, PSNR of the mean squared error over all pixels)\n")
    table(
        [
            "pairs",
            "model",
            "pairs",
            "sigma est.",
            "input est.",
            "input true (est. - true)",
            "input vs mean capture (est. - it)",
            "the same, avg50's error out (est. - it)",
            "output est.",
            "output true (est. - true)",
            "output vs mean capture (est. - it)",
            "the same, avg50's error out (est. - it)",
        ],
        rows,
    )
    print(
        "true: against the clean image (cbsd68) or avg50 (FMD). mean capture: against E[x], the noise-free "
        "capture the estimate measures against: for the synthetic pairs computed exactly (the clean image where "
        "clipping at 0 and 255 leaves the noise's mean at 0, brighter or darker where it does not); for FMD, avg50 "
        "scaled to each capture's mean brightness (avg50 averages 50 captures taken while the sample bleached). "
        "avg50's error out: its own error measured in the table above (from the captures alone, assuming they are "
        "10 of avg50's 50, as FMD's file numbers say) taken out of the squared error before the PSNR. Where that "
        "error is as large as a model's, the truth is uncertain by about the change of the capture between its "
        "first and last frames (drift2).\n"
    )
    print("commands:\n\n```\n" + "\n".join(ran) + "\n```")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=("synthetic", "fmd", "estimate", "folders"))
    ap.add_argument("--data-root", default=str(REPO / "data"), help="the data root of docs/benchmarks.md")
    ap.add_argument("--minutes", type=float, default=30.0, help="training time per method")
    ap.add_argument("--arch", default="fast")
    ap.add_argument("--patch", type=int, default=defaults.PATCH_SIZE)
    ap.add_argument("--batch", type=int, default=defaults.BATCH_SIZE)
    ap.add_argument("--workers", type=int, default=defaults.WORKERS)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--train-limit", type=int, default=None, help="first N training images (synthetic)")
    ap.add_argument("--test-limit", type=int, default=None, help="first N cbsd68 images")
    ap.add_argument(
        "--model",
        default="",
        help="estimate: a model for the synthetic pairs, besides those the synthetic run trained [bundled weights]",
    )
    ap.add_argument(
        "--fmd-model", default="", help="estimate: a model for FMD, besides those the fmd run trained [bundled weights]"
    )
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    {"synthetic": synthetic, "fmd": fmd, "estimate": estimate, "folders": folders}[args.what](args)
    print(f"total wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
