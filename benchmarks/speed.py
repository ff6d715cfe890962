"""Speed of n2n on this machine, as one markdown table: run by hand, not in CI.

    python -m benchmarks.speed --repeats 3 --cbm3d --extra unet=weights/unet-blind-rgb.pt   # everything
    python -m benchmarks.speed --only train-course,help     # some row groups
    python -m benchmarks.speed --repeats 1 --pairs 200 --patch-images 1 --denoise-images 1 --big-mp 1   # smoke run

Row groups (`--only`): train-course, train-patches, denoise, onnx, help, scaling. Each value is the median of
`--repeats` runs; progress goes to stderr, the table to stdout. Measurements follow docs/benchmarks.md: throughput
in images (patches) per second, denoising in seconds per megapixel, always beside a baseline measured in the same
run. Timings are noisy on shared machines: compare ratios, not lone numbers.

- train-course: the report's training loop, written out here (seed model, batch 8, fp32, Adam 1e-3, eager), against
  `n2n train`'s Trainer with its defaults (the default architecture, and seed), all on random uint8 32x32 pairs;
  with the projected time of `n2n train --data train_data.pkl --epochs 10` on the course's 50,000 pairs.
- train-patches: the Trainer on `--patch` x `--patch` crops of an image folder with synthetic noise, the whole data
  path included (decode, crop, noise, augment), for each architecture in `--archs`; `--patch-images` limits the
  epoch to the first K images.
- denoise: `n2n denoise --json` in a fresh process per run, so that peak RSS is that run's alone; the decode /
  network / encode split is the one `n2n_cli.inference.files.denoise_files` returns; the bundled default and each
  `--extra LABEL=MODEL`. `--cbm3d` adds CBM3D as the reference. `--big-from PHOTO` adds a large image made of a real
  photo mirrored about its edges, whose real noise may take another route than the synthetic image's.
- onnx: the bundled model exported by `n2n export` and run by `n2n denoise --model x.onnx` (onnxruntime) against
  the same model through torch, same image, same run (needs the onnx extra).
- help: wall time of `n2n --help`.
- scaling: `torchrun` with 1 and 2 CPU processes (DDP over gloo), OMP_NUM_THREADS = cores // processes.

When a GPU is present, the training and denoising rows also run on it (device cuda; training rows then skip a
warm-up epoch).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

import n2n_cli
from benchmarks.common import DATA, command, cpu_model, machine, write_results
from n2n_cli import defaults
from n2n_cli.device import cpu_has_bf16
from n2n_cli.io import list_images, probe
from n2n_cli.models import create_model
from n2n_cli.models.bundled import resolve_model_path
from n2n_cli.noise import parse_noise
from n2n_cli.training import TrainConfig, Trainer

GROUPS = ("train-course", "train-patches", "denoise", "onnx", "help", "scaling")
COURSE_PAIRS = 50_000  # the course's train_data.pkl
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

Row = dict  # what, setting, value, unit, baseline, ratio


def row(
    what: str, setting: str, value: Any, unit: str = "", baseline: float | None = None, ratio: float | None = None
) -> Row:
    return {"what": what, "setting": setting, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio}


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def log(msg: str) -> None:
    print(f"[speed] {msg}", file=sys.stderr, flush=True)


def median_of(repeats: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeats))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def devices() -> list[torch.device]:
    return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])


# --- the machine --------------------------------------------------------------------------------------------------


def header() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    lines = [
        "# n2n speed",
        "",
        f"- CPU: {cpu_model()}, {CORES} cores usable ({os.cpu_count()} online), "
        f"torch threads {torch.get_num_threads()}, native bf16: {'yes' if cpu_has_bf16() else 'no'} "
        f"(torch capability {torch.backends.cpu.get_cpu_capability()})",
        f"- torch {torch.__version__}, n2n {n2n_cli.__version__}, Python {platform.python_version()}",
        f"- CUDA device: {gpu}" if gpu else "- CUDA device: none",
        f"- GPU rows: {gpu}" if gpu else "- GPU rows: no GPU on this machine",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (other jobs skew timings)",
    ]
    return "\n".join(lines)


def fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v == 0:
            return "0"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) >= 0.01 else f"{v:.2e}"
    return str(v)


def table(rows: list[Row]) -> str:
    cols = ("what", "setting", "value", "unit", "baseline", "ratio")
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [fmt(r[c]) for c in cols]
        if r["ratio"] is not None:
            cells[-1] = f"{r['ratio']:.2f}x"
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out)


# --- 1. seed model on course-format pairs ---------------------------------------------------------------------------


def make_pairs(n: int, path: Path) -> Path:
    """Random uint8 N x 3 x 32 x 32 pairs in the course format, saved once."""
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    b = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    torch.save((a, b), path)
    return path


def course_epoch(a: torch.Tensor, b: torch.Tensor, device: torch.device, warmup: bool) -> float:
    """The report's Model.train, one epoch: batch 8, Adam 1e-3, fp32, eager, constant rate. Returns images/s."""
    torch.manual_seed(0)
    model = create_model("seed").to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    a, b = a.to(device), b.to(device)

    def epoch() -> None:
        perm = torch.randperm(len(a), device=device)
        for i in range(0, len(a), 8):
            idx = perm[i : i + 8]
            x, y = a[idx].float(), b[idx].float()
            out = model(x / 255)
            loss = F.mse_loss(out, y / 255)
            opt.zero_grad()
            loss.backward()
            opt.step()

    if warmup:
        epoch()
    sync(device)
    t0 = time.perf_counter()
    epoch()
    sync(device)
    return len(a) / (time.perf_counter() - t0)


def trainer_rate(cfg: TrainConfig) -> float:
    """images_per_s of the Trainer's last epoch, as it measures it (the epoch loop, not setup or checkpointing)."""
    return float(Trainer(cfg).fit().metrics["images_per_s"])


def bench_train_course(args: argparse.Namespace, tmp: Path) -> list[Row]:
    data = make_pairs(args.pairs, tmp / "pairs.pt")
    a, b = torch.load(data, weights_only=True)
    rows = []
    archs = list(dict.fromkeys([defaults.MODEL, "seed"]))
    for dev in devices():
        gpu = dev.type == "cuda"
        epochs = 2 if gpu else 1  # on a GPU the first epoch pays for warm-up; the Trainer reports the last one
        base: list[float] = []
        ours: dict[str, list[float]] = {k: [] for k in archs}
        for r in range(args.repeats):  # interleaved, so drift in the machine's load hits all alike
            log(f"train-course {dev.type}: repeat {r + 1}/{args.repeats}")
            base.append(course_epoch(a, b, dev, warmup=gpu))
            for arch in archs:
                cfg = TrainConfig(
                    data=str(data),
                    arch=arch,
                    epochs=epochs,
                    out=str(tmp / f"{arch}.pt"),
                    overwrite=True,
                    device=dev.type,
                )
                ours[arch].append(trainer_rate(cfg))
        mb = statistics.median(base)
        note = ", after a warm-up epoch" if gpu else ""
        rows.append(
            row(
                "train-course",
                f"course loop (seed, batch 8, fp32, eager), {args.pairs} pairs, {dev.type}{note}",
                mb,
                "images/s",
            )
        )
        bs = "64" if gpu else "16"
        for arch in archs:
            mo = statistics.median(ours[arch])
            rows.append(
                row(
                    "train-course",
                    f"`n2n train --arch {arch}` defaults (batch {bs}, cosine, augment), {dev.type}{note}",
                    mo,
                    "images/s",
                    mb,
                    mo / mb,
                )
            )
            hours = 10 * COURSE_PAIRS / mo / 3600
            rows.append(
                row(
                    "train-course",
                    f"projected `n2n train --arch {arch} --epochs 10` on {COURSE_PAIRS:,} course pairs, {dev.type}",
                    hours,
                    "h",
                )
            )
    return rows


# --- 2. patches of an image folder ------------------------------------------------------------------------------------


def link_first_images(folder: Path, k: int, dest: Path) -> int:
    images = list_images(folder)[:k]
    if not images:
        raise SystemExit(f"{folder}: no images found (pass --folder)")
    dest.mkdir(parents=True, exist_ok=True)
    for p in images:
        (dest / p.name).symlink_to(p.resolve())
    return len(images)


def bench_train_patches(args: argparse.Namespace, tmp: Path) -> list[Row]:
    folder = Path(args.folder)
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    rows = []
    for dev in devices():
        gpu = dev.type == "cuda"
        k = max(args.patch_images, 64) if gpu else args.patch_images  # a GPU gets through a few images in no time
        sub = tmp / f"patches-{dev.type}"
        k = link_first_images(folder, k, sub)
        # (label, arch, bf16 on the CPU): bf16 rows only where the CPU computes bf16 natively
        runs = [(a, a, False) for a in archs]
        runs += [(f"{archs[-1]} --cpu-bf16", archs[-1], True)] if not gpu and cpu_has_bf16() else []
        rates: dict[str, list[float]] = {label: [] for label, _, _ in runs}
        for r in range(args.repeats):  # interleaved
            for label, arch, bf16 in runs:
                log(f"train-patches {dev.type} {label}: {k} images, repeat {r + 1}/{args.repeats}")
                cfg = TrainConfig(
                    data=str(sub),
                    noise=parse_noise("gaussian:0-50"),
                    arch=arch,
                    patch_size=args.patch,
                    epochs=2 if gpu else 1,
                    out=str(tmp / f"p-{arch}.pt"),
                    overwrite=True,
                    device=dev.type,
                    cpu_bf16=bf16,
                )
                rates[label].append(trainer_rate(cfg))
        note = ", 2nd epoch" if gpu else ""
        base = statistics.median(rates[archs[0]])
        for label, _, _ in runs:
            v = statistics.median(rates[label])
            first = label == archs[0]
            rows.append(
                row(
                    "train-patches",
                    f"`n2n train --arch {label}`, {args.patch}x{args.patch} patches of the "
                    f"first {plural(k, 'image')} of {folder.name}, gaussian:0-50, {defaults.WORKERS} workers, "
                    f"{dev.type}{note}",
                    v,
                    "patches/s",
                    None if first else base,
                    None if first else v / base,
                )
            )
    return rows


# --- 3. denoising ---------------------------------------------------------------------------------------------------


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """Run `cmd` in a fresh process; (stdout, wall seconds, that process's peak RSS in MiB). os.wait4 reports this
    child's own rusage, so earlier children (data-loader workers, other rows) cannot inflate it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{stderr[-2000:]}")
    return stdout, wall, usage.ru_maxrss / 1024  # Linux: ru_maxrss in KiB


def last_json(text: str) -> dict:
    """The last top-level JSON object in `text` (torchrun or warnings may print around it)."""
    dec, found, i = json.JSONDecoder(), None, 0
    while (i := text.find("{", i)) != -1:
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            i += 1
            continue
        found, i = obj, end
    if not isinstance(found, dict):
        raise ValueError(f"no JSON object in output:\n{text[-2000:]}")
    return found


def synthetic_image(megapixels: float, path: Path) -> tuple[int, int]:
    """A 3:2 RGB PNG of smooth colour gradients plus sigma-25 noise (noise-ish, like a photo to denoise)."""
    w = int(round((megapixels * 1e6 * 1.5) ** 0.5))
    h = int(round(w / 1.5))
    rng = np.random.default_rng(0)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), np.uint8)
    for c, base in enumerate((x * 200 + 20, y * 200 + 20, (x + y) * 100 + 20)):
        img[..., c] = np.clip(base + rng.normal(0, 25, (h, w)).astype(np.float32), 0, 255).round()
    from PIL import Image

    Image.fromarray(img).save(path)
    return h, w


def tiled_photo(source: Path, megapixels: float, path: Path) -> tuple[int, int]:
    """A 3:2 RGB PNG of `megapixels` made of a real photo mirrored about its edges: its noise, at full size."""
    from PIL import Image

    from n2n_cli.io import read_image

    w = int(round((megapixels * 1e6 * 1.5) ** 0.5))
    h = int(round(w / 1.5))
    img = read_image(source)[..., :3]
    img = np.concatenate([img, img[:, ::-1]], axis=1)
    img = np.concatenate([img, img[::-1]], axis=0)
    reps = (-(-h // img.shape[0]), -(-w // img.shape[1]), 1)
    Image.fromarray(np.ascontiguousarray(np.tile(img, reps)[:h, :w])).save(path)
    return h, w


def megapixels(files: list[Path]) -> float:
    return sum(probe(f).height * probe(f).width for f in files) / 1e6


def n2n_cmd(*argv: str) -> list[str]:
    return [sys.executable, "-m", "n2n_cli", *argv]


def denoise_runs(inp: Path, out: Path, mp: float, model: str | None, dev: torch.device, repeats: int) -> dict:
    """Medians over fresh `n2n denoise --json` processes: s/MP (decode + network + encode), its split, peak RSS."""
    cmd = n2n_cmd(
        "denoise",
        str(inp),
        str(out),
        "--json",
        "--device",
        dev.type,
        "--overwrite",
        *(["--model", model] if model else []),
    )
    runs = []
    for r in range(repeats):
        log(f"denoise {inp.name} ({mp:.2f} MP) on {dev.type}: repeat {r + 1}/{repeats}")
        stdout, wall, rss = run_measured(cmd)
        res = last_json(stdout)
        parts = {k: res[k] / mp for k in ("decode_s", "network_s", "encode_s")}
        runs.append({**parts, "total": sum(parts.values()), "wall": wall / mp, "rss": rss})
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def cbm3d_s_per_mp(image: Path, repeats: int) -> float | None:
    try:
        import bm3d
    except ImportError:
        return None
    from n2n_cli.io import read_image

    clean = read_image(image)[..., :3].astype(np.float32) / 255
    rng = np.random.default_rng(0)
    noisy = np.clip(np.round((clean + rng.normal(0, 25 / 255, clean.shape)) * 255), 0, 255) / 255
    mp = clean.shape[0] * clean.shape[1] / 1e6

    def once() -> float:
        log(f"cbm3d on {image.name}")
        t0 = time.perf_counter()
        bm3d.bm3d_rgb(noisy, sigma_psd=25 / 255)
        return (time.perf_counter() - t0) / mp

    return median_of(repeats, once)


def bench_denoise(args: argparse.Namespace, tmp: Path) -> list[Row]:
    if args.model is None and not resolve_model_path(None).is_file():
        return [row("denoise", f"skipped: no bundled weights at {resolve_model_path(None)}; pass --model PATH", None)]
    models = [(Path(args.model).name if args.model else "bundled default", args.model)]
    models += [(label, str(Path(path).resolve())) for label, _, path in (e.partition("=") for e in args.extra)]
    small = tmp / "cbsd68"
    n = link_first_images(Path(args.denoise_folder), args.denoise_images, small)
    big = tmp / "big"
    big.mkdir()
    h, w = synthetic_image(args.big_mp, big / "synthetic.png")
    sets = [
        (small, f"{plural(n, 'image')} of {Path(args.denoise_folder).name}"),
        (big, f"one synthetic {w}x{h} RGB image"),
    ]
    if args.big_from:
        photo = tmp / "photo"
        photo.mkdir()
        h, w = tiled_photo(Path(args.big_from), args.big_mp, photo / "photo.png")
        sets.append((photo, f"{Path(args.big_from).name} mirrored to {w}x{h}"))

    ref = None
    if args.cbm3d:
        ref = cbm3d_s_per_mp(list_images(small)[0], args.repeats)
    rows = []
    if args.cbm3d:
        rows.append(
            row("denoise", "CBM3D (bm3d package), sigma 25, one image, cpu", ref, "s/MP")
            if ref is not None
            else row("denoise", "CBM3D skipped: the bm3d package is not installed (pip install bm3d)", None)
        )
    for dev in devices():
        for folder, what in sets:
            mp = megapixels(list_images(folder))
            first = None
            for label, model in models:
                m = denoise_runs(folder, tmp / f"out-{dev.type}-{folder.name}", mp, model, dev, args.repeats)
                setting = f"`n2n denoise`, {label}, {what} ({mp:.2f} MP), {dev.type}"
                base, base_label = (ref, "CBM3D") if first is None else (first, models[0][0])
                rows.append(
                    row(
                        "denoise",
                        setting + (f" (ratio vs {base_label})" if base else ""),
                        m["total"],
                        "s/MP",
                        base,
                        m["total"] / base if base else None,
                    )
                )
                rows.append(
                    row(
                        "denoise",
                        f"{setting}: decode / network / encode",
                        " / ".join(f"{m[k]:.3g}" for k in ("decode_s", "network_s", "encode_s")),
                        "s/MP",
                    )
                )
                rows.append(row("denoise", f"{setting}: whole command incl. start-up", m["wall"], "s/MP"))
                rows.append(row("denoise", f"{setting}: peak RSS of the process", m["rss"], "MiB"))
                first = m["total"] if first is None else first
    return rows


def bench_onnx(args: argparse.Namespace, tmp: Path) -> list[Row]:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return [row("onnx", "skipped: onnxruntime is not installed (pip install -e .[onnx])", None)]
    onnx_file = tmp / "model.onnx"
    run_measured(n2n_cmd("export", str(onnx_file), *(["--model", args.model] if args.model else [])))
    small = tmp / "onnx-in"
    n = link_first_images(Path(args.denoise_folder), args.denoise_images, small)
    mp = megapixels(list_images(small))
    cpu = torch.device("cpu")
    t = denoise_runs(small, tmp / "onnx-out-torch", mp, args.model, cpu, args.repeats)
    o = denoise_runs(small, tmp / "onnx-out-ort", mp, str(onnx_file), cpu, args.repeats)
    what = f"{plural(n, 'image')} of {Path(args.denoise_folder).name} ({mp:.2f} MP), cpu, network time"
    return [
        row("onnx", f"`n2n denoise`, bundled model through torch, {what}", t["network_s"], "s/MP"),
        row(
            "onnx",
            f"`n2n denoise --model model.onnx` (onnxruntime), same model, {what}",
            o["network_s"],
            "s/MP",
            t["network_s"],
            o["network_s"] / t["network_s"],
        ),
    ]


# --- 4. --help ------------------------------------------------------------------------------------------------------


def wall(cmd: list[str], repeats: int) -> float:
    def once() -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    return median_of(repeats, once)


def bench_help(args: argparse.Namespace, tmp: Path) -> list[Row]:
    entry = Path(sys.executable).parent / "n2n"
    cmd = [str(entry), "--help"] if entry.is_file() else n2n_cmd("--help")
    log("help")
    bare = wall([sys.executable, "-c", "pass"], args.repeats)
    torch_import = wall([sys.executable, "-c", "import torch"], args.repeats)
    value = wall(cmd, args.repeats)
    return [
        row("help", "`python -c pass` (interpreter start-up)", bare, "s"),
        row(
            "help",
            "`python -c 'import torch'` (what a lazy import saves)",
            torch_import,
            "s",
            bare,
            torch_import / bare,
        ),
        row("help", f"`{' '.join([Path(cmd[0]).name, *cmd[1:]])}`", value, "s", bare, value / bare),
    ]


# --- 5. DDP scaling on the CPU ---------------------------------------------------------------------------------------


def torchrun_rate(data: Path, procs: int, out: Path) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, CORES // procs))}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={procs}",
        "-m",
        "n2n_cli",
        "train",
        "--data",
        str(data),
        "--arch",
        "seed",
        "-e",
        "1",
        "-o",
        str(out),
        "--device",
        "cpu",
        "--json",
        "--overwrite",
    ]
    stdout, _, _ = run_measured(cmd, env)
    return float(last_json(stdout)["metrics"]["images_per_s"])


def bench_scaling(args: argparse.Namespace, tmp: Path) -> list[Row]:
    data = tmp / "pairs.pt"
    if not data.exists():
        make_pairs(args.pairs, data)
    rates = {}
    for k in (1, 2):

        def once(k: int = k) -> float:
            log(f"scaling: torchrun with {k} process(es)")
            return torchrun_rate(data, k, tmp / f"ddp{k}.pt")

        rates[k] = median_of(args.repeats, once)
    return [
        row(
            "scaling",
            f"torchrun {plural(k, 'process', 'processes')}, seed model, {args.pairs} pairs, "
            f"batch 16 global, cpu, OMP_NUM_THREADS={max(1, CORES // k)}",
            rates[k],
            "images/s",
            rates[1] if k > 1 else None,
            rates[k] / rates[1] if k > 1 else None,
        )
        for k in (1, 2)
    ]


# --- main -----------------------------------------------------------------------------------------------------------

BENCHES = {
    "train-course": bench_train_course,
    "train-patches": bench_train_patches,
    "denoise": bench_denoise,
    "onnx": bench_onnx,
    "help": bench_help,
    "scaling": bench_scaling,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--only", default=",".join(GROUPS), help="comma list of row groups: " + ", ".join(GROUPS))
    p.add_argument("--repeats", type=int, default=3, help="runs per row; the table shows their median")
    p.add_argument("--pairs", type=int, default=2000, help="32x32 pairs for train-course and scaling")
    p.add_argument("--folder", default=str(DATA / "train/bsds431"), help="images for train-patches")
    p.add_argument("--patch-images", type=int, default=8, help="first K images of --folder make a train-patches epoch")
    p.add_argument("--patch", type=int, default=96, help="crop side for train-patches")
    p.add_argument(
        "--archs",
        default=f"unet,{defaults.MODEL}" if defaults.MODEL != "unet" else "unet,fast",
        help="architectures for train-patches (the first is the baseline)",
    )
    p.add_argument("--denoise-folder", default=str(DATA / "dev/cbsd68"))
    p.add_argument("--denoise-images", type=int, default=4, help="first K images of --denoise-folder")
    p.add_argument("--big-mp", type=float, default=24, help="megapixels of the synthetic large image")
    p.add_argument(
        "--big-from", default=None, help="also a large image of --big-mp made of this photo, mirrored (its real noise)"
    )
    p.add_argument("--model", default=None, help="checkpoint for denoise [default: the bundled weights]")
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="LABEL=MODEL",
        help="another model for the denoise rows (repeatable), e.g. unet=weights/unet-blind-rgb.pt",
    )
    p.add_argument("--cbm3d", action="store_true", help="add CBM3D's s/MP on one image as the denoise reference")
    p.add_argument("--json", type=Path, default=None, help="also write the results here (benchmarks/results/)")
    p.add_argument("--title", default="Speed", help="the title of the results in --json")
    args = p.parse_args(argv)
    args.groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        p.error(f"unknown row group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    if args.model:
        args.model = str(Path(args.model).resolve())
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    head, info = header(), machine()  # load average before this script adds its own
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="n2n-speed-") as d:
        tmp = Path(d)
        for group in GROUPS:
            if group in args.groups:
                t0 = time.perf_counter()
                rows += BENCHES[group](args, tmp)
                log(f"{group} done in {time.perf_counter() - t0:.0f} s")
    note = (
        f"each value: median of {plural(args.repeats, 'run')}; ratio = value / baseline "
        "(images/s: higher is better; s/MP and s: lower is better)"
    )
    print(head)
    print(f"- {note}\n")
    print(table(rows))
    if args.json is not None:
        write_results(args.json, "speed", args.title, command("benchmarks.speed"), info, rows, [note])
        print(f"\nwrote {args.json}")


def render(doc: dict) -> str:
    """The table of a run's results (also docs/results.md's, from its JSON)."""
    return table(doc["rows"])


if __name__ == "__main__":
    main()
