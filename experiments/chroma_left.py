"""What the default route leaves of a camera's real noise, luma against chroma, flat areas against edges; and what
smoothing the output's chroma would buy there and cost a clean photo. By hand, not in CI.

For each `polyu_dev` photo (per camera): the squared error of the noisy shot and of `n2n denoise`'s output (the auto
route without its own chroma step: every variant below starts from the same output) against the mean, split into Y,
Cb and Cr (BT.601, 8-bit levels squared) and into the flat and the edge half of the image (by the mean's gradient,
as `experiments.bands --split gradient`). Then ways of smoothing the output's chroma, each image's PSNR change
against the output as it is:
- `blur S`: Cb and Cr blurred (Gaussian, S pixels), luma kept;
- `budget R`: the chroma's fine detail (what a 1.5-pixel blur takes) kept only up to R times the luma's fine detail,
  the excess taken away by a 2-pixel blur: a natural photo's colour is smoother than its luma, noise's is not
  (`n2n denoise` takes `budget 0.05`: defaults.CHROMA_BUDGET, inference/chroma.py);
- `region R`: the same budget set around each pixel (both energies averaged by a Gaussian of REGION pixels);
- `guided R`: Cb and Cr each through a guided filter (He et al., ECCV 2010) with the output's luma as its guide,
  windows of 2R + 1 pixels, regularization GUIDED_EPS levels^2: colour edges that follow luma edges kept, the rest
  smoothed.
The same on clean photos that the auto route takes for a camera's weak noise (the two boosted passes): every
`--every`th CBSD68 and bsds431 image, as PNG and saved as JPEG (quality 90, 95; 4:2:0 as cameras save), scored
against the file itself: what the smoothing would cost a photo with no noise to take.

    python -m experiments.chroma_left
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import n2n_cli.inference.denoiser as den
from benchmarks.common import REPO
from benchmarks.quality import real_pairs
from experiments.bands import gradient_quarter
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.io import list_images
from n2n_cli.noise.estimate import YCC

BLURS = (1.0, 1.5, 2.0)
BUDGETS = (0.03, 0.05)
REGIONS = (0.05,)
REGION = 32.0
GUIDED = (2, 4)
GUIDED_EPS = 16.0
CAMERAS = ("Canon600D", "Canon80D", "Sony")


def psnr(a: np.ndarray, ref: np.ndarray) -> float:
    """Of `a` (float RGB, 8-bit levels) as written in 8 bits, against `ref`."""
    err = np.clip(np.round(a), 0, 255) - ref.astype(np.float64)
    return float(10 * np.log10(255**2 / np.mean(err**2)))


def ycc(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ YCC.T.astype(np.float64)


def rgb(y: np.ndarray) -> np.ndarray:
    return y @ np.linalg.inv(YCC.astype(np.float64)).T


def fine(plane: np.ndarray, region: float | None = None) -> np.ndarray:
    """The energy of a plane's detail finer than a 1.5-pixel blur: its mean, or around each pixel (`region`)."""
    from scipy import ndimage  # the bench extra

    e = (plane - ndimage.gaussian_filter(plane, 1.5)) ** 2
    return e.mean() if region is None else ndimage.gaussian_filter(e, region)


def smoothed(out: np.ndarray, how: str, value: float) -> np.ndarray:
    """`out` (H x W x 3, 8-bit levels) with its chroma blurred (`blur`), held to a budget of fine detail over
    the image (`budget`) or around each pixel (`region`), or filtered with the luma as a guide (`guided`)."""
    from scipy import ndimage

    y = ycc(out)
    if how == "guided":
        box = lambda t: ndimage.uniform_filter(t, 2 * int(value) + 1, mode="nearest")  # noqa: E731
        g = y[..., 0]
        mean_g = box(g)
        var_g = box(g * g) - mean_g**2
        for c in (1, 2):
            mean_c = box(y[..., c])
            a = (box(g * y[..., c]) - mean_g * mean_c) / (var_g + GUIDED_EPS)
            y[..., c] = box(a) * g + box(mean_c - a * mean_g)
        return rgb(y)
    keep: float | np.ndarray = 0.0
    sigma = value
    if how in ("budget", "region"):
        region = REGION if how == "region" else None
        chroma = fine(y[..., 1], region) + fine(y[..., 2], region)
        keep = np.minimum(1.0, np.sqrt(value * fine(y[..., 0], region) / np.maximum(chroma, 1e-12)))
        sigma = 2.0
        if np.all(keep == 1.0):
            return out.astype(np.float64)
    for c in (1, 2):
        low = ndimage.gaussian_filter(y[..., c], sigma)
        y[..., c] = low + keep * (y[..., c] - low)
    return rgb(y)


def variants() -> list[tuple[str, str, float]]:
    return (
        [(f"blur {s}", "blur", s) for s in BLURS]
        + [(f"budget {r}", "budget", r) for r in BUDGETS]
        + [(f"region {r}", "region", r) for r in REGIONS]
        + [(f"guided {r}", "guided", r) for r in GUIDED]
    )


def errors(noisy: np.ndarray, out: np.ndarray, ref: np.ndarray) -> list[float]:
    """Y, Cb, Cr mean squared error of the noisy shot and of the output, flat half then edge half."""
    edge = gradient_quarter(ref)[..., 0] >= 2
    rows = []
    for x in (noisy, out):
        e = (ycc(np.clip(np.round(x.astype(np.float64)), 0, 255)) - ycc(ref)) ** 2
        rows += [float(e[..., c][part].mean()) for part in (~edge, edge) for c in range(3)]
    return rows


def row(label: str, rows: list[list[float]]) -> str:
    """A table row: each variant's mean change and its lowest."""
    r = np.array(rows)
    return f"| {label} | {len(r)} | " + " | ".join(f"{m:+.3f}; {lo:+.2f}" for m, lo in zip(r.mean(0), r.min(0))) + " |"


def clean_photos(root: Path, every: int, qualities: tuple[int, ...]) -> Iterator[tuple[str, np.ndarray]]:
    """(name, image) for every `every`th photo under `root`, as it is and saved as JPEG at each quality."""
    for i, p in enumerate(list_images(root)):
        if i % every:
            continue
        image = np.array(Image.open(p).convert("RGB"))
        yield f"png/{p.name}", image
        for q in qualities:
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, "JPEG", quality=q)
            yield f"jpg{q}/{p.name}", np.array(Image.open(buf).convert("RGB"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--bsds", type=Path, default=REPO / "data/train/bsds431")
    ap.add_argument("--every", type=int, default=3, help="every Nth CBSD68 and bsds431 photo")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    den.hold_chroma = lambda image, budget=0.0: (image, 1.0)  # the route's output before its own chroma step
    denoise = make_denoiser(None, torch.device("cpu"), route="auto")
    names = [v[0] for v in variants()]

    err: dict[str, list[list[float]]] = {}
    gains: dict[str, list[list[float]]] = {}
    for name, noisy, ref in real_pairs(a.polyu, None):
        noisy, ref = np.asarray(noisy), np.asarray(ref)
        out = denoise(noisy).astype(np.float64)
        cam = next((c for c in CAMERAS if name.startswith(c)), "other")
        base = psnr(out, ref)
        for key in (cam, "all"):
            err.setdefault(key, []).append(errors(noisy, out, ref))
            gains.setdefault(key, []).append([psnr(smoothed(out, h, v), ref) - base for _, h, v in variants()])
    print("\npolyu_dev: mean squared error against the mean (8-bit levels^2), flat half | edge half")
    print("| camera | images | noisy Y, Cb, Cr flat | noisy edges | output Y, Cb, Cr flat | output edges |")
    print("|---|---|---|---|---|---|")
    for key, rows in err.items():
        m = np.mean(rows, 0)
        parts = [", ".join(f"{v:.2f}" for v in m[k : k + 3]) for k in (0, 3, 6, 9)]
        print(f"| {key} | {len(rows)} | " + " | ".join(parts) + " |")

    print("\nPSNR change of the output with its chroma smoothed, dB (mean; lowest)")
    print("| set | images | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 2) + "|")
    for key, rows in gains.items():
        print(row(f"polyu_dev {key}", rows))
    for label, root in (("CBSD68", a.cbsd68), ("bsds431", a.bsds)):
        costs: dict[str, list[list[float]]] = {}
        for name, image in clean_photos(root, a.every, (90, 95)):
            out = denoise(image).astype(np.float64)
            if denoise.report is None or denoise.report.boost == 1:
                continue  # not taken for a camera's weak noise: the smoothing would not be applied
            base = psnr(out, image)
            costs.setdefault(name.split("/")[0], []).append(
                [psnr(smoothed(out, h, v), image) - base for _, h, v in variants()]
            )
        for kind, rows in costs.items():
            print(row(f"{label} clean {kind}", rows))


if __name__ == "__main__":
    main()
