"""Denoising quality benchmark: one markdown table of PSNR and speed, under the protocol of docs/benchmarks.md.

A by-hand benchmark, not run in CI. Every method sees the same noisy images in the same run: clean 8-bit image ->
float [0, 1] -> + N(0, (sigma/255)^2) -> clip -> round to 8 bits, seeded per image (seed = 1234 + index, as
`n2n eval` does); a set named NAME:SIGMA:jpegQ then saves that noisy image as JPEG at quality Q (what a camera or
phone keeps). Each output is rounded to 8 bits and scored against the clean image: PSNR = 10 log10(1 / MSE),
averaged over the images of a set, beside the noisy input's PSNR. The mean shift is |mean(output) - mean(clean)|
in 8-bit levels per image, averaged over the set (a denoiser should not darken or lighten); the dark shift is the
signed mean of (output - clean) over the pixels darker than DARK levels in the clean image, pooled over the set
(negative: darker; near black, where the noise is clipped, is where denoisers go wrong). Speed is seconds per
megapixel: the total wall time of a method's calls over a set divided by the set's megapixels, measured once, in
this run (timings are noisy: compare rows of one run, and rerun for a median).

Run from the repository root (needs the `bench` extra, `pip install -e .[bench]`, for cbm3d and nlm):

    python -m benchmarks.quality --limit 8 --seed-model runs/seed.pt
    python -m benchmarks.quality --sets cbsd68:25,set12:25 --methods noisy,nlm,bundled --limit 2
    python -m benchmarks.quality --methods noisy,cbm3d,seed,bundled --seed-model runs/seed.pt --json quality.json
    python -m benchmarks.quality --sets cbsd68:25,cbsd68:25:jpeg90 --extra unet=runs/unet.pt --tta
    python -m benchmarks.quality --sets '' --fmd /data/fmd_confocal_bpae_b --fmd-model runs/fmd.pt

Methods: noisy (the input itself), cbm3d (the `bm3d` package, told the true sigma; an estimated one for JPEG sets),
cbm3d-est (the same, always with the sigma estimated from each noisy image, as a user without the truth runs it),
nlm (scikit-image non-local means with an estimated sigma), seed (--seed-model), bundled (--model, default the
bundled weights), and one row per --extra LABEL=MODEL; with --tta each network (bundled, --extra) has a second row
averaged over the 8 flips and rotations.
A set named NAME:phone or NAME:dslr is a synthetic stand-in for real noise this project has no photos of
(benchmarks/proxies.py: the images enlarged 2x, a camera's noise made at a simulated sensor, JPEG). Each row of a
noisy set records what its noisy images hold (noisy - clean: std, neighbour correlation). --route sets how the
networks denoise (default: auto, as `n2n denoise`).
With --fmd ROOT, real-noise rows follow: each capture in ROOT/raw/<field>/ against ROOT/gt/<field>/avg50.png, for
the fields in --fmd-fields (not seen in training), with BM3D given an estimated sigma and each --fmd-model network.
With --real ROOT (repeatable), real camera photos: each ROOT/noisy/NAME against ROOT/mean/NAME (or ROOT/clean/NAME),
scored as they are (no noise added) with the chosen methods (CBM3D given an estimated sigma); with --real-groups, also
one row per camera (the part of the name before its first "_").

    python -m benchmarks.quality --sets '' --real data/real/polyu_dev --real-groups --methods noisy,bundled
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from benchmarks.common import REPO, command, describe, have, machine, markdown_row, write_results
from benchmarks.proxies import PRESETS, noise_stats, proxy_pairs
from n2n_cli import defaults
from n2n_cli.errors import UserError
from n2n_cli.evaluation.metrics import psnr
from n2n_cli.inference import make_denoiser
from n2n_cli.io import list_images, read_image, split_alpha
from n2n_cli.models.bundled import load_model, resolve_model_path
from n2n_cli.noise import jpeg, parse_noise

DEFAULT_SETS = "cbsd68:15,cbsd68:25,cbsd68:50,set12:25,cbsd68:0"
METHODS = ("noisy", "cbm3d", "cbm3d-est", "nlm", "seed", "bundled")
DEFAULT_METHODS = ("noisy", "cbm3d", "nlm", "seed", "bundled")  # cbm3d-est only when asked: CBM3D is the slow row
DARK = 16  # 8-bit level below which a clean pixel counts as dark for the dark shift
COLUMNS = (
    "set",
    "sigma",
    "images",
    "method",
    "PSNR dB",
    "gain over noisy dB",
    "mean shift (levels)",
    f"dark shift (clean < {DARK}, levels)",
    "s/MP",
)

Image = np.ndarray  # H x W x C uint8, C = 1 or 3
Method = Callable[[Image, "float | None"], Image]  # (noisy, sigma on the 0-255 scale or None if unknown) -> output


# --- data ----------------------------------------------------------------------------------------------------------


def to_u8(x: np.ndarray) -> Image:
    """Float in [0, 1] -> the 8-bit image a PNG would store."""
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def load_u8(path: Path) -> Image:
    """An 8-bit image, alpha dropped."""
    img, _ = split_alpha(read_image(path))
    if img.dtype != np.uint8:
        raise UserError(f"{path}: the protocol is for 8-bit images, this one is {img.dtype}")
    return np.array(img)  # a writable, contiguous copy (torch.from_numpy warns on Pillow's read-only arrays)


def parse_sets(spec: str, root: Path) -> list[tuple[str, Path, float | str, int | None]]:
    """'cbsd68:25,set12:25,cbsd68:25:jpeg90,cbsd68:phone' -> [(name, folder, sigma or proxy preset, JPEG quality or
    None)]; a name is a folder under `root` (or a path); a proxy preset (benchmarks/proxies.py) for the sigma makes
    that synthetic stand-in for a real noise kind."""
    sets = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        parts = item.split(":")
        quality = None
        if len(parts) == 3 and parts[2].startswith("jpeg") and parts[2][4:].isdigit():
            quality = int(parts[2][4:])
            parts = parts[:2]
        if len(parts) != 2 or not parts[0]:
            raise SystemExit(f"--sets: {item!r} is not NAME:SIGMA or NAME:SIGMA:jpegQ")
        name, sigma = parts
        folder = Path(name) if ("/" in name or Path(name).is_absolute()) else root / name
        if not folder.is_dir():
            raise SystemExit(f"--sets: {folder} is not a folder")
        sets.append((Path(name).name, folder, sigma if sigma in PRESETS else float(sigma), quality))
    return sets


def add_noise(clean: Image, sigma: float, seed: int) -> Image:
    """The protocol's noisy copy, through n2n's own noise model (clip and rounding included)."""
    x = torch.from_numpy(clean).permute(2, 0, 1)[None].float() / 255.0
    noisy = parse_noise(f"gaussian:{sigma:g}")(x, torch.Generator().manual_seed(seed))
    return to_u8(noisy[0].permute(1, 2, 0).numpy())


def save_as_jpeg(img: Image, quality: int) -> Image:
    """The image after a JPEG round trip at `quality` (Pillow, 4:2:0 for colour)."""
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255.0
    return to_u8(jpeg(x, quality)[0].permute(1, 2, 0).numpy())


def synthetic_pairs(
    folder: Path, sigma: float, limit: int | None, quality: int | None = None
) -> list[tuple[str, Image, Image]]:
    """(name, noisy, clean) for the first `limit` images of `folder` sorted by name; noisy saved as JPEG at
    `quality` when given."""
    paths = list_images(folder)[:limit]
    if not paths:
        raise SystemExit(f"{folder}: no images found")
    pairs = []
    for k, p in enumerate(paths):
        clean = load_u8(p)
        noisy = add_noise(clean, sigma, defaults.VAL_NOISE_SEED + k)
        pairs.append((p.name, save_as_jpeg(noisy, quality) if quality else noisy, clean))
    return pairs


def fmd_pairs(root: Path, fields: list[str], limit: int | None) -> list[tuple[str, Image, Image]]:
    """(name, capture, avg50) for the captures of each field (the first `limit` of each)."""
    pairs = []
    for f in fields:
        gt = root / "gt" / f / "avg50.png"
        captures = list_images(root / "raw" / f)[:limit]
        if not gt.is_file() or not captures:
            raise SystemExit(f"--fmd: field {f} needs {gt} and captures in {root / 'raw' / f}")
        clean = load_u8(gt)
        pairs += [(f"{f}/{p.name}", load_u8(p), clean) for p in captures]
    return pairs


def real_pairs(root: Path, limit: int | None) -> list[tuple[str, Image, Image]]:
    """(name, noisy, reference) for ROOT/noisy/* against ROOT/mean/* or ROOT/clean/* of the same name."""
    ref = next((root / d for d in ("mean", "clean") if (root / d).is_dir()), None)
    noisy = list_images(root / "noisy")[:limit]
    if ref is None or not noisy:
        raise SystemExit(f"--real: {root} needs noisy/ and mean/ (or clean/) folders of images with the same names")
    missing = [p.name for p in noisy if not (ref / p.name).is_file()]
    if missing:
        raise SystemExit(f"--real: {ref / missing[0]} is missing (the reference of {root / 'noisy' / missing[0]})")
    return [(p.name, load_u8(p), load_u8(ref / p.name)) for p in noisy]


# --- methods -------------------------------------------------------------------------------------------------------


def identity(noisy: Image, sigma: float | None) -> Image:
    return noisy


def estimate_sigma(noisy: Image) -> float:
    """Noise sigma on the 0-255 scale, estimated by scikit-image (wavelet MAD)."""
    from skimage.restoration import estimate_sigma as est

    x = noisy.astype(np.float64) / 255.0
    s = est(x, channel_axis=-1, average_sigmas=True) if x.shape[2] == 3 else est(x[..., 0])
    return float(s) * 255.0


def cbm3d(noisy: Image, sigma: float | None) -> Image:
    """BM3D: the colour version (opponent space) for RGB, plain BM3D for gray; sigma estimated when unknown."""
    import bm3d

    s = (sigma if sigma is not None else estimate_sigma(noisy)) / 255.0
    x = noisy.astype(np.float64) / 255.0
    out = bm3d.bm3d_rgb(x, s) if x.shape[2] == 3 else bm3d.bm3d(x[..., 0], s)[..., None]
    return to_u8(np.asarray(out).reshape(noisy.shape))


def cbm3d_estimated(noisy: Image, sigma: float | None) -> Image:
    """CBM3D with the sigma estimated from the noisy image itself; the sigma given is not used."""
    return cbm3d(noisy, None)


def nlm(noisy: Image, sigma: float | None) -> Image:
    """scikit-image non-local means, fast mode, h = 0.8 x the estimated sigma (the sigma given is not used)."""
    from skimage.restoration import denoise_nl_means

    x = noisy.astype(np.float64) / 255.0
    h = 0.8 * estimate_sigma(noisy) / 255.0
    if x.shape[2] == 3:
        out = denoise_nl_means(x, h=h, fast_mode=True, patch_size=5, patch_distance=6, channel_axis=-1)
    else:
        out = denoise_nl_means(x[..., 0], h=h, fast_mode=True, patch_size=5, patch_distance=6)[..., None]
    return to_u8(out)


def network(
    path: str | None, tta: bool = False, route: str = defaults.ROUTE, camera: str | None = None
) -> tuple[str, Method]:
    """(label, method) for an n2n model file; None is the bundled default (`camera`: another camera model for it);
    `route` as `n2n denoise --route`. Raises UserError if it cannot load."""
    _, ckpt = load_model(path)
    # None: the bundled colour, gray and camera weights, as `n2n denoise`
    denoiser = make_denoiser(path, torch.device("cpu"), tta=tta, route=route, camera=camera)
    gray = f"; gray images: {defaults.BUNDLED_GRAY}" if denoiser.gray is not None else ""
    cam = f"; camera noise: {Path(camera).name if camera else defaults.CAMERA_MODEL}" if denoiser.camera else ""
    label = f"{ckpt['model']} ({resolve_model_path(path).name}{gray}{cam})" + (", TTA x8" if tta else "")
    return label, lambda noisy, sigma: denoiser(noisy)


def network_rows(
    key: str, path: str | None, tta: bool, methods: list, notes: list[str], route: str, camera: str | None = None
) -> None:
    """Append the rows of one network (and, with `tta`, its TTA row) to `methods`, or a note when it cannot load."""
    try:
        for t in (False, True)[: 1 + tta]:
            label, fn = network(path, tta=t, route=route, camera=camera)
            methods.append((key + ("-tta" if t else ""), f"{key}: {label}", fn))
    except UserError as e:
        notes.append(f"{key} skipped: {e}")


def make_methods(args: argparse.Namespace, notes: list[str]) -> list[tuple[str, str, Method]]:
    """[(key, label, method)] for the chosen methods that can run here; what cannot gets a note."""
    methods: list[tuple[str, str, Method]] = []
    for key in args.methods:
        if key == "noisy":
            methods.append((key, "noisy input", identity))
        elif key in ("cbm3d", "cbm3d-est", "nlm"):
            module = "skimage.restoration" if key == "nlm" else "bm3d"
            if have(module) and (key != "cbm3d-est" or have("skimage.restoration")):
                methods.append(
                    {
                        "cbm3d": (key, "CBM3D", cbm3d),
                        "nlm": (key, "NLM (skimage)", nlm),
                        "cbm3d-est": (key, "CBM3D (estimated sigma)", cbm3d_estimated),
                    }[key]
                )
            else:
                notes.append(f"{key} skipped: `{module}` is not installed (pip install -e .[bench])")
        elif key == "seed" and args.seed_model is None:
            notes.append("seed skipped: no --seed-model given (a seed model trained the report's way)")
        elif key == "seed":
            network_rows(key, args.seed_model, False, methods, notes, args.route)
        else:  # bundled
            network_rows(key, args.model, args.tta, methods, notes, args.route, args.camera)
    for item in args.extra:
        name, _, path = item.partition("=")
        network_rows(name, path, args.tta, methods, notes, args.route)
    return methods


# --- scoring -------------------------------------------------------------------------------------------------------


def score(out: Image, clean: Image) -> float:
    """PSNR in dB of an 8-bit output against the 8-bit clean image (n2n's definition: 100 dB if identical)."""
    as_t = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].double() / 255.0  # noqa: E731
    return psnr(as_t(out), as_t(clean)).item()


def run_method(fn: Method, pairs: list[tuple[str, Image, Image]], sigma: float | None) -> dict:
    """Mean per-image PSNR, mean |brightness shift|, the signed shift on dark pixels and seconds per megapixel of one
    method over one set."""
    fn(np.ascontiguousarray(pairs[0][1][:64, :64]), sigma)  # untimed warm-up: lazy imports, first-call setup
    seconds, per_image, shifts, dark_sum, dark_count = 0.0, [], [], 0.0, 0
    for name, noisy, clean in pairs:
        t0 = time.perf_counter()
        out = fn(noisy, sigma)
        seconds += time.perf_counter() - t0
        if out.shape != clean.shape or out.dtype != np.uint8:
            raise RuntimeError(f"{name}: method returned {out.dtype} {out.shape}, expected uint8 {clean.shape}")
        per_image.append((name, score(out, clean)))
        shifts.append(float(out.mean(dtype=np.float64) - clean.mean(dtype=np.float64)))
        dark = clean < DARK
        dark_sum += float(out[dark].sum(dtype=np.float64) - clean[dark].sum(dtype=np.float64))
        dark_count += int(dark.sum())
    mp = sum(c.shape[0] * c.shape[1] for _, _, c in pairs) / 1e6
    return {
        "psnr": float(np.mean([p for _, p in per_image])),
        "seconds": seconds,
        "megapixels": mp,
        "s_per_mp": seconds / mp,
        "per_image": per_image,
        "mean_abs_shift": float(np.mean(np.abs(shifts))),
        "mean_shift": float(np.mean(shifts)),
        "dark_shift": dark_sum / dark_count if dark_count else None,
    }


def cells(row: dict) -> list[str]:
    """One row of the table, as printed and as docs/results.md shows it."""
    clean_input = row.get("clean_input", False)
    shown = "inf (clean)" if clean_input and row["method"] == "noisy" else f"{row['psnr']:.2f}"
    gain = "n/a" if clean_input else f"{row['psnr'] - row['psnr_noisy']:+.2f}"
    speed = "-" if row["method"] == "noisy" else f"{row['s_per_mp']:.2f}"
    dark = "-" if row["dark_shift"] is None else f"{row['dark_shift']:+.2f}"
    return [
        row["set"],
        row["sigma"],
        str(row["images"]),
        row["label"],
        shown,
        gain,
        f"{row['mean_abs_shift']:.2f}",
        dark,
        speed,
    ]


def render(doc: dict) -> str:
    """The table of a run's results (also docs/results.md's, from its JSON), and what each noisy set holds."""
    return "\n".join(markdown_table(doc["rows"]) + noise_table(doc["rows"]))


def noise_table(rows: list[dict]) -> list[str]:
    """What the noisy images of each set hold (noisy - clean, 8-bit levels), once per set; none for files written
    before the benchmark recorded it."""
    seen: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r.get("noise") and (r["set"], r["sigma"]) not in seen:
            seen[(r["set"], r["sigma"])] = r["noise"]
    if not seen:
        return []
    head = ["set", "noise", "noise std (levels)", "neighbour correlation", "input PSNR dB"]
    lines = ["", markdown_row(head), markdown_row(["---"] * len(head))]
    for (name, sigma), n in seen.items():
        std = f"{n['std_min']:.1f}-{n['std_max']:.1f} (mean {n['std_mean']:.1f})"
        lines.append(markdown_row([name, sigma, std, f"{n['correlation']:.2f}", f"{n['psnr']:.2f}"]))
    return lines


def markdown_table(rows: list[dict]) -> list[str]:
    """The table's lines: header, rule and one line per row."""
    return [markdown_row(list(COLUMNS)), markdown_row(["---"] * len(COLUMNS))] + [markdown_row(cells(r)) for r in rows]


def bench_set(
    set_name: str,
    sigma_text: str,
    sigma: float | None,
    pairs: list[tuple[str, Image, Image]],
    methods: list[tuple[str, str, Method]],
    notes: list[str],
    rows: list[dict],
    clean_input: bool = False,
) -> None:
    """Score every method on one set of (name, noisy, clean) pairs; print a row per method as it completes.
    `sigma` is given to methods that need it (None: they estimate it); `clean_input`: the input is the clean image,
    its PSNR capped at 100 dB, no gain to speak of."""
    noisy_psnr = float(np.mean([score(n, c) for _, n, c in pairs]))
    noise = None if clean_input else noise_stats(pairs)  # what the noisy images hold: std, correlation
    for key, label, fn in methods:
        if key == "cbm3d" and clean_input:
            notes.append(f"cbm3d skipped on {set_name} sigma 0: it is not blind, and there is no noise to give it")
            continue
        r = run_method(fn, pairs, sigma)
        rows.append(
            {
                "set": set_name,
                "sigma": sigma_text,
                "images": len(pairs),
                "method": key,
                "label": label,
                "psnr": r["psnr"],
                "psnr_noisy": noisy_psnr,
                "mean_abs_shift": r["mean_abs_shift"],
                "mean_shift": r["mean_shift"],
                "dark_shift": r["dark_shift"],
                "gain": None if clean_input else r["psnr"] - noisy_psnr,
                "seconds": r["seconds"],
                "megapixels": r["megapixels"],
                "s_per_mp": r["s_per_mp"],
                "per_image": r["per_image"],
                "clean_input": clean_input,
                "noise": noise,
            }
        )
        print(markdown_row(cells(rows[-1])), flush=True)


# --- main ----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sets",
        default=DEFAULT_SETS,
        help=f"comma list of NAME:SIGMA, NAME a folder under --data-root (default: {DEFAULT_SETS})",
    )
    p.add_argument(
        "--data-root",
        type=Path,
        default=REPO / "data" / "dev",
        help="folder holding the sets (default: data/dev in the repository, see docs/benchmarks.md)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N images of each set, sorted by name (and N captures per FMD field)",
    )
    p.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma list from {', '.join(METHODS)} (default: all but cbm3d-est)",
    )
    p.add_argument("--seed-model", default=None, help="seed-model checkpoint trained the report's way")
    p.add_argument("--model", default=None, help="model for the 'bundled' row (default: the bundled weights)")
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="LABEL=MODEL",
        help="one more model row (repeatable), e.g. unet=weights/unet-blind-rgb.pt",
    )
    p.add_argument(
        "--tta",
        action="store_true",
        help="also run the bundled model and each --extra model with --tta (8 flips/rotations)",
    )
    p.add_argument("--fmd", type=Path, default=None, help="FMD root with raw/<field>/*.png and gt/<field>/avg50.png")
    p.add_argument("--fmd-model", action="append", default=[], help="a model trained on FMD fields 1-17 (repeatable)")
    p.add_argument("--fmd-fields", default="18,20", help="FMD fields to evaluate (default: 18,20)")
    p.add_argument(
        "--real",
        type=Path,
        action="append",
        default=[],
        help="real noisy photos: a folder with noisy/ and mean/ (or clean/) of the same names (repeatable)",
    )
    p.add_argument("--real-groups", action="store_true", help="--real: also a row per camera (name before '_')")
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="also write the results, per image included, here (benchmarks/results/*.json feed docs/results.md)",
    )
    p.add_argument("--title", default="Quality", help="the title of the results in --json (a heading of the page)")
    p.add_argument("--camera", default=None, help="camera model for the 'bundled' row (default: the bundled one)")
    p.add_argument(
        "--route",
        default=defaults.ROUTE,
        choices=("auto", "plain", "camera", "shuffle"),
        help=f"how the networks denoise each image, as `n2n denoise --route` (default: {defaults.ROUTE})",
    )
    args = p.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = sorted(set(args.methods) - set(METHODS))
    if bad:
        p.error(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(METHODS)}")
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    return args


def fmd_methods(args: argparse.Namespace, notes: list[str]) -> list[tuple[str, str, Method]]:
    """Capture alone, BM3D with an estimated sigma, NLM (each when chosen) and the --fmd-model network."""
    methods: list[tuple[str, str, Method]] = []
    for key, label, fn, needs in [
        ("noisy", "single capture", identity, ()),
        ("cbm3d", "BM3D (estimated sigma)", cbm3d, ("bm3d", "skimage.restoration")),
        ("nlm", "NLM (skimage)", nlm, ("skimage.restoration",)),
    ]:
        missing = [m for m in needs if not have(m)]
        if key not in args.methods:
            continue
        if missing:
            notes.append(f"FMD {key} skipped: `{missing[0]}` is not installed (pip install -e .[bench])")
        else:
            methods.append((key, label, fn))
    if not args.fmd_model:
        notes.append("FMD model skipped: no --fmd-model given")
    for path in args.fmd_model:
        try:
            label, net = network(path, route=args.route)
            methods.append(("fmd-model", f"fmd-model: {label}", net))
        except UserError as e:
            notes.append(f"FMD model skipped: {e}")
    return methods


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sets = parse_sets(args.sets, args.data_root)
    info = machine()
    print(f"{describe(info)}; noise seed {defaults.VAL_NOISE_SEED} + image index\n", flush=True)
    notes: list[str] = []
    rows: list[dict] = []
    methods = make_methods(args, notes)
    print("\n".join(markdown_table([])), flush=True)
    for name, folder, sigma, quality in sets:
        if isinstance(sigma, str):  # a synthetic stand-in for a real noise kind
            bench_set(name, f"{sigma} (synthetic)", None, proxy_pairs(folder, sigma, args.limit), methods, notes, rows)
            continue
        label = f"{sigma:g}" + (f", JPEG q{quality}" if quality else "")
        pairs = synthetic_pairs(folder, sigma, args.limit, quality)
        bench_set(name, label, None if quality else sigma, pairs, methods, notes, rows, clean_input=sigma == 0)
    if args.fmd is not None:
        fields = [f.strip() for f in args.fmd_fields.split(",") if f.strip()]
        pairs = fmd_pairs(args.fmd, fields, args.limit)
        bench_set(
            f"FMD {args.fmd.name} fields {','.join(fields)}", "real", None, pairs, fmd_methods(args, notes), notes, rows
        )
    for root in args.real:
        pairs = real_pairs(root, args.limit)
        groups = sorted({n.split("_")[0] for n, _, _ in pairs}) if args.real_groups else []
        for group in [None, *groups]:
            subset = [p for p in pairs if group is None or p[0].split("_")[0] == group]
            name = root.name + (f" {group}" if group else "")
            bench_set(name, "real", None, subset, methods, notes, rows)
    if notes:
        print()
        for n in notes:
            print(f"- {n}")
    if args.json is not None:
        write_results(args.json, "quality", args.title, command("benchmarks.quality"), info, rows, notes)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        raise SystemExit(f"error: {e}") from None
