"""What should an image with a camera's weak noise take, and how many times its correction (output - input)?
(defaults.WEAK_BOOST, route.weak_boost, Denoiser._weak.) The default colour model takes away only part of weak noise
that is correlated between neighbouring pixels; taking its correction k times takes more of it, and costs an image
whose correction is mostly lost detail k times that loss. Averaging two outputs whose errors differ (the default
model's on the image and on its anti-transpose; the default and the camera model) lowers the error of the correction
before it is scaled.

It measures, for each image, the noise estimate (level, correlation) and the PSNR of input + k (y - input) for each
k and each recipe y (`default`: the default model's output; `default x2`: its mean with the output for the image's
anti-transpose (turned half a turn and transposed), turned back; `default+camera`: the mean of the default and the
camera model's outputs, colour images only), on: polyu_dev's real photos (per camera; and made gray, through the
gray model), every fourth CBSD68 image clean and with Gaussian noise (sigma 5, 15, 25; 25 saved as JPEG q75), every
fourth image of the phone and DSLR stand-ins, and for the gray model Set12 clean and three captures of six FMD
fields (real microscopy). It prints for each recipe, per set, the mean change against the default at k = 1 over all
its images, and over those the auto route would boost (weaker than CAMERA_LEVEL, correlated at least
WEAK_CORRELATION) what auto takes now (`default x2` at WEAK_BOOST); and for each polyu_dev camera held out, the k
(and recipe) the other two cameras pick and what it gives on the one held out; and, for the boosted colour images of
each set, the range of what the camera model takes away beyond the default where the image is flat (the evidence
route.choose weighs): whether it could tell a camera's weak noise from a clean photo that looks so.

    python -m experiments.weak_boost
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import REPO
from benchmarks.proxies import proxy_pairs
from experiments.camera_shots import camera_shots, load, psnr, quantize
from n2n_cli import defaults
from n2n_cli.io import list_images
from n2n_cli.models.bundled import load_default_gray, load_model
from n2n_cli.noise import jpeg
from n2n_cli.noise.estimate import estimate_noise, removed_level

KS = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)
RECIPES = ("default", "default x2", "default+camera")
CAMERAS = ("Canon600D", "Canon80D", "Sony")


def load_gray(path: Path) -> torch.Tensor:
    """An image as 1 x 1 x H x W in 0-1 through Pillow's convert("L"), as polyu_dev is made gray for the gray model."""
    return torch.from_numpy(np.array(Image.open(path).convert("L"))).float()[None, None] / 255


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--set12", type=Path, default=REPO / "data/dev/set12")
    ap.add_argument("--fmd", type=Path, default=REPO / "data/real/fmd_confocal_bpae_b")
    ap.add_argument("--every", type=int, default=4, help="every Nth CBSD68 and stand-in image")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    colour, _ = load_model(None)
    camera_net, _ = load_model(defaults.CAMERA_MODEL)
    gray = load_default_gray()
    assert gray is not None
    for m in (colour, camera_net, gray):
        m.eval()
    rows: list[tuple[str, bool, dict[tuple[str, float], float]]] = []  # (set, boosted by auto, PSNR by recipe, k)
    extra: dict[str, list[float]] = {}  # set -> the camera model's extra in each boosted image, levels

    def score(kind: str, x: torch.Tensor, ref: torch.Tensor) -> None:
        net = colour if x.shape[1] == 3 else gray
        y = net(x)
        ys = {"default": y, "default x2": (y + net(x.flip(2, 3).transpose(2, 3)).transpose(2, 3).flip(2, 3)) / 2}
        est = estimate_noise(x[0].permute(1, 2, 0).numpy())
        boosted = est.level < defaults.CAMERA_LEVEL and est.correlation >= defaults.WEAK_CORRELATION
        if x.shape[1] == 3:
            c = camera_net(x)
            ys["default+camera"] = (y + c) / 2
            if boosted:  # what the camera model takes away beyond the default where the image is flat (route.choose)
                as_image = lambda t: t[0].permute(1, 2, 0).numpy()  # noqa: E731
                extra.setdefault(kind, []).append(removed_level(as_image(y), as_image(c), est))
        rows.append((kind, boosted, {(r, k): psnr(quantize(x + k * (v - x)), ref) for r, v in ys.items() for k in KS}))

    for camera in CAMERAS:
        for x, ref in zip(*camera_shots(a.polyu, camera)):
            score(f"polyu_dev {camera}", x, ref)
    for camera in CAMERAS:
        for p in list_images(a.polyu / "noisy"):
            if p.name.startswith(camera):
                score(f"polyu_dev {camera}, gray", load_gray(p), load_gray(a.polyu / "mean" / p.name))
    for p in list_images(a.set12):
        score("set12 clean, gray", load_gray(p), load_gray(p))
    for field in (1, 5, 9, 13, 18, 20):
        (mean,) = list_images(a.fmd / "gt" / str(field))
        for p in list_images(a.fmd / "raw" / str(field))[:3]:
            score("FMD confocal, gray", load_gray(p), load_gray(mean))
    g = torch.Generator().manual_seed(0)
    for p in list_images(a.cbsd68)[:: a.every]:
        c = load(p)
        score("cbsd68 clean", c, c)
        for s in (5, 15, 25):
            score(f"cbsd68 sigma {s}", quantize(c + s / 255 * torch.randn(c.shape, generator=g)), c)
        score("cbsd68 sigma 25, JPEG q75", jpeg(quantize(c + 25 / 255 * torch.randn(c.shape, generator=g)), 75), c)
    as_tensor = lambda t: torch.from_numpy(t).permute(2, 0, 1)[None].float() / 255  # noqa: E731
    for preset in ("phone", "dslr"):
        for _, noisy, clean in proxy_pairs(a.cbsd68, preset)[:: a.every]:
            score(f"cbsd68 {preset} stand-in", as_tensor(noisy), as_tensor(clean))

    def change(sel: list[dict[tuple[str, float], float]], recipe: str, k: float) -> float:
        return float(np.mean([r[recipe, k] - r["default", 1.0] for r in sel])) if sel else 0.0

    now = ("default x2", defaults.WEAK_BOOST)  # what auto takes (Denoiser._weak)
    for recipe in RECIPES:
        print(f"\n{recipe}: mean change in dB against the default at k = 1, all images of the set")
        print(
            "| set | images | default k=1 dB | " + " | ".join(f"k={k:g}" for k in KS) + " | boosted | auto now | "
            "auto now, boosted only |"
        )
        print("|---|---|---|" + "---|" * len(KS) + "---|---|---|")
        for kind in dict.fromkeys(k for k, _, _ in rows):
            every = [r for k, _, r in rows if k == kind]
            if (recipe, 1.0) not in every[0]:
                continue
            boosted = [r for k, b, r in rows if k == kind and b]
            cells = " | ".join(f"{change(every, recipe, k):+.3f}" for k in KS)
            base = np.mean([r["default", 1.0] for r in every])
            print(
                f"| {kind} | {len(every)} | {base:.2f} | {cells} | {len(boosted)} | "
                f"{change(boosted, *now) * len(boosted) / len(every):+.3f} | {change(boosted, *now):+.3f} |"
            )
    print("\nwhat the camera model takes away beyond the default where the image is flat, boosted colour images:")
    for kind, levels in extra.items():
        print(f"  {kind}: {min(levels):.2f}-{max(levels):.2f} levels ({len(levels)} images)")
    print(f"\npolyu_dev, one camera held out: the recipe and k the other two pick, what it gives there (now: {now})")
    choices = [(r, k) for r in RECIPES for k in KS]
    for out in CAMERAS:
        others = [r for k, _, r in rows if k.startswith("polyu_dev") and "gray" not in k and out not in k]
        held = [r for k, _, r in rows if k == f"polyu_dev {out}"]
        for recipe in RECIPES:
            pick = max(KS, key=lambda k: change(others, recipe, k))
            print(
                f"  {out} held out, {recipe}: k {pick:g} ({change(others, recipe, pick):+.3f} on the others), "
                f"{change(held, recipe, pick):+.3f} on {out}"
            )
        best = max(choices, key=lambda c: change(others, *c))
        print(
            f"  {out} held out, best of all: {best[0]} k {best[1]:g}: {change(held, *best):+.3f} on {out}; "
            f"auto now: {change(held, *now):+.3f}"
        )


if __name__ == "__main__":
    main()
