"""Microscopy files as microscopists have them: FMD captures saved as a camera writes them, denoised by `n2n denoise`'s
own route (plan, files, the default bundled weights) and trained on by `n2n train`'s, scored in the 8-bit scale
against the mean of 50 captures.

Each field's 10 captures (8-bit PNG) become:

- `8-bit PNG`: the captures as they are (the reference row);
- `12-bit in 16-bit TIFF`: x * 16 + d, d uniform in 0-15 (a 12-bit camera's values in a 16-bit file; the dither
  fills the levels in between, as a camera's finer quantization would);
- `16-bit, offset 1500, gain 37`: x * 37 + 1500 + d, d uniform in 0-36 (a camera offset and another gain);
- `12-bit stack`: the 12-bit captures as one ImageJ stack (T axis), normalized by one range over all frames.

Every output is mapped back to the 8-bit scale by the inverse of what made it ((out - offset - (gain - 1) / 2) /
gain, not rounded) and scored against gt/<field>/avg50.png: PSNR = 10 log10(255^2 / MSE), the mean over the
captures, beside the input's PSNR in the same scale. `vs 8-bit` is the row's PSNR minus the 8-bit PNG row's of the
same model. --rules compares normalization rules (percentiles LOW-HIGH, or `type`: n2n 0.2's division by the type's
maximum); the default rule is what n2n does. With --train, a model is trained from scratch on --train-fields in
each variant (`n2n train --data DIR/<field>/`, same seed, so the same crops) and scored after each of --epochs on
--fields, each in its own variant. Derived files go to --work (git-ignored `local/`).

    python -m benchmarks.microscopy --fmd data/real/fmd_confocal_bpae_b
    python -m benchmarks.microscopy --fmd data/real/fmd_confocal_bpae_b --fields 1,5,9,13,18 --variants 1 \\
        --rules type,0-100,0.1-99.9,0.01-99.95,0.001-99.95
    python -m benchmarks.microscopy --fmd data/real/fmd_confocal_bpae_b --rules type,0.01-99.95 --train \
        --train-fields 1-17 --epochs 4,8 --patch-size 64
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO, command, describe, machine, markdown_row, write_results
from n2n_cli import defaults
from n2n_cli.inference import Denoiser, make_denoiser
from n2n_cli.inference.files import denoise_files
from n2n_cli.inference.plan import plan_outputs
from n2n_cli.io import list_images, probe, read_frame, read_image
from n2n_cli.io.normalize import Normalization
from n2n_cli.training import TrainConfig, Trainer

# (name, gain, offset, stack): how the 8-bit captures are written
VARIANTS = (
    ("8-bit PNG", 1, 0, False),
    ("12-bit in 16-bit TIFF", 16, 0, False),
    ("16-bit, offset 1500, gain 37", 37, 1500, False),
    ("12-bit stack", 16, 0, True),
)
COLUMNS = ("variant", "model", "rule", "captures", "input dB", "output dB", "gain dB", "vs 8-bit dB")


def parse_rule(text: str) -> Normalization:
    """`type`, or LOW-HIGH percentiles."""
    if text == "type":
        return Normalization(mode="type")
    low, high = (float(v) for v in text.split("-"))
    return Normalization(low=low, high=high)


def rule_name(rule: Normalization) -> str:
    if rule.mode == "type":
        return "type (n2n 0.2)"
    return f"{rule.low:g}-{rule.high:g}" + (" (default)" if rule == Normalization() else "")


def slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in text)


def psnr8(x: np.ndarray, ref: np.ndarray) -> float:
    mse = float(np.mean((x.astype(np.float64) - ref.astype(np.float64)) ** 2))
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def build(root: Path, field: str, work: Path, variant: tuple) -> Path:
    """A variant's captures of one field: the raw folder for 8-bit PNG, else files written under `work`."""
    import tifffile

    name, gain, offset, stack = variant
    if gain == 1:
        return root / "raw" / field
    folder = work / "in" / slug(name) / field
    if folder.is_dir():  # made by an earlier run (seeded: the same bytes)
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    frames = []
    for k, p in enumerate(list_images(root / "raw" / field)):
        x = read_image(p)[..., 0].astype(np.int64)
        d = np.random.default_rng(1000 * int(field) + k).integers(0, gain, x.shape)
        frames.append((x * gain + offset + d).astype(np.uint16))
        if not stack:
            tifffile.imwrite(tmp / f"{p.stem}.tif", frames[-1])
    if stack:
        tifffile.imwrite(tmp / "captures.tif", np.stack(frames), imagej=True, metadata={"axes": "TYX"})
    tmp.rename(folder)
    return folder


def frames_of(path: Path) -> list[np.ndarray]:
    """The frames of every image in `path`, in name order (a stack's frames in order)."""
    out = []
    for f in list_images(path):
        info = probe(f)
        out += [read_frame(f, k, info)[..., 0] for k in range(info.frames)]
    return out


def score(frames: list[np.ndarray], gain: int, offset: int, ref: np.ndarray) -> list[float]:
    return [psnr8((f.astype(np.float64) - offset - (gain - 1) / 2) / gain, ref) for f in frames]


def run_denoise(
    denoiser: Denoiser, args: argparse.Namespace, variant: tuple, fields: list[str], tag: str
) -> tuple[list[float], list[float]]:
    """(input PSNRs, output PSNRs) of `variant`'s captures of `fields`, denoised as `n2n denoise` does."""
    name, gain, offset, _ = variant
    noisy, out = [], []
    for f in fields:
        src = build(args.fmd, f, args.work, variant)
        dest = args.work / "out" / slug(tag) / slug(name) / f
        shutil.rmtree(dest, ignore_errors=True)
        r = denoise_files(denoiser, plan_outputs(src, dest, max_pixels=defaults.MAX_PIXELS))
        if r.failed:
            raise SystemExit(f"{src}: {r.failed} files failed")
        ref = read_image(args.fmd / "gt" / f / "avg50.png")[..., 0]
        noisy += score(frames_of(src), gain, offset, ref)
        out += score(frames_of(dest), gain, offset, ref)
    return noisy, out


def row(variant: str, model: str, rule: str, noisy: list[float], out: list[float], base: float | None) -> dict:
    psnr = float(np.mean(out))
    r = {"variant": variant, "model": model, "rule": rule, "captures": len(out)}
    r.update(psnr_noisy=float(np.mean(noisy)), psnr=psnr, vs_8bit=psnr - (psnr if base is None else base))
    print(markdown_row(cells(r)))
    return r


def denoise_rows(args: argparse.Namespace, fields: list[str], variants: list[tuple]) -> list[dict]:
    """The bundled model (or --model) on every variant, under every rule of --rules."""
    rules = [parse_rule(r) for r in args.rules.split(",")] if args.rules else [Normalization()]
    denoiser = make_denoiser(args.model, torch.device("cpu"))
    label = args.model or "bundled"
    rows: list[dict] = []
    base = None
    for variant in variants:
        for rule in rules if variant[1] != 1 else rules[:1]:  # 8-bit images: x / 255 under every rule
            denoiser.normalization = rule
            noisy, out = run_denoise(denoiser, args, variant, fields, rule_name(rule))
            rules_text = "x / 255" if variant[1] == 1 else rule_name(rule)
            rows.append(row(variant[0], label, rules_text, noisy, out, base))
            base = rows[-1]["psnr"] if variant[1] == 1 else base
    return rows


def train_rows(args: argparse.Namespace, fields: list[str], variants: list[tuple]) -> list[dict]:
    """A model trained from scratch in each variant (same seed, crops and order), scored after each of --epochs."""
    low, _, high = args.train_fields.partition("-")
    train_fields = [str(f) for f in range(int(low), int(high or low) + 1) if str(f) not in fields]
    epochs = [int(e) for e in args.epochs.split(",")]
    rows: list[dict] = []
    base: dict[int, float] = {}
    for variant in variants:
        data = args.work / "train" / slug(variant[0])
        shutil.rmtree(data, ignore_errors=True)
        for f in train_fields:  # DIR/<scene>/ captures: each field one scene
            (data / f).mkdir(parents=True)
            for p in list_images(build(args.fmd, f, args.work, variant)):
                (data / f / p.name).symlink_to(p.resolve())
        ckpt = args.work / "train" / f"{slug(variant[0])}.pt"
        for k, e in enumerate(epochs):
            cfg = TrainConfig(
                data=str(data), arch=args.arch, epochs=e, out=str(ckpt), device="cpu", seed=0, workers=args.workers,
                resume=str(ckpt) if k else None, overwrite=True, patch_size=args.patch_size,
            )  # fmt: skip
            Trainer(cfg).fit()
            denoiser = make_denoiser(str(ckpt), torch.device("cpu"))
            noisy, out = run_denoise(denoiser, args, variant, fields, f"train-{e}")
            model = f"{args.arch} trained {e} epochs on fields {train_fields[0]}-{train_fields[-1]}"
            rows.append(row(variant[0], model, "default", noisy, out, base.get(e)))
            if variant[1] == 1:
                base[e] = rows[-1]["psnr"]
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--fmd", type=Path, default=REPO / "data" / "real" / "fmd_confocal_bpae_b")
    p.add_argument("--fields", default="20", help="FMD fields scored (comma-separated; held out from development: 20)")
    p.add_argument("--rules", default=None, help="normalization rules: type, or LOW-HIGH percentiles [default rule]")
    p.add_argument("--variants", default=None, help="variants besides the 8-bit one, by number (1-3) [all]")
    p.add_argument("--model", default=None, help="model file [default: the bundled weights, as n2n denoise]")
    p.add_argument("--train", action="store_true", help="also train a model in each variant and score it")
    p.add_argument("--train-fields", default="1-8", help="FMD fields to train on, FIRST-LAST (--fields left out)")
    p.add_argument("--epochs", default="2,4", help="score the trained models after these epochs")
    p.add_argument("--train-variants", default="1", help="variants trained on besides the 8-bit one, by number")
    p.add_argument("--arch", default="fast", help="architecture trained")
    p.add_argument("--patch-size", type=int, default=128)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--work", type=Path, default=REPO / "local" / "microscopy", help="folder for derived files")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--title", default="Microscopy files: 12- and 16-bit captures against the same in 8 bits")
    args = p.parse_args(argv)
    info = machine()
    print(describe(info))
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    variants = [VARIANTS[0]] + [VARIANTS[int(k)] for k in args.variants.split(",")] if args.variants else list(VARIANTS)
    print(markdown_row(list(COLUMNS)))
    print(markdown_row(["---"] * len(COLUMNS)))
    rows = denoise_rows(args, fields, variants)
    if args.train:
        chosen = [VARIANTS[0]] + [VARIANTS[int(k)] for k in args.train_variants.split(",")]
        rows += train_rows(args, fields, [v for v in chosen if not v[3]])  # stacks: not scene folders
    notes = [
        f"FMD fields {','.join(fields)}, 10 captures each; outputs mapped back to the 8-bit scale by the inverse of "
        "their gain and offset (not rounded); 8-bit outputs as written",
        "bundled: the default route of n2n denoise (gray images: fast-gray.pt)",
    ]
    if args.json:
        write_results(args.json, "microscopy", args.title, command("benchmarks.microscopy", argv), info, rows, notes)


def cells(r: dict) -> list[str]:
    gain = r["psnr"] - r["psnr_noisy"]
    nums = [f"{r['psnr_noisy']:.2f}", f"{r['psnr']:.2f}", f"{gain:+.2f}", f"{r['vs_8bit']:+.2f}"]
    return [r["variant"], r["model"], r["rule"], str(r["captures"]), *nums]


def render(doc: dict) -> str:
    """The table of a run's results (also docs/results.md's, from its JSON)."""
    lines = [markdown_row(list(COLUMNS)), markdown_row(["---"] * len(COLUMNS))]
    return "\n".join(lines + [markdown_row(cells(r)) for r in doc["rows"]])


if __name__ == "__main__":
    main()
