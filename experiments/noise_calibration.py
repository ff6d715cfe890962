"""How real camera noise looks, and how close n2n's synthetic noise comes to it.

Real: noisy shot minus the mean of ~500 shots (polyu_dev: three cameras, ISO 800-12800, JPEG quality 75). Synthetic:
the same mean images (as clean) with a recipe's noise at the level that matches the real set's luma noise, quantized
to 8 bits and saved as JPEG at quality 75 like the real crops, minus the clean image. Measured on flat areas only (the
half of the pixels with the lowest gradient in the mean image), where misregistration and JPEG ringing around edges
do not pass for noise. Prints a table of:

- std of the luma (Y) and chroma (Cb, Cr) noise in 8-bit levels, overall and per band of brightness (clean luma);
- its correlation with the pixel 1, 2, 3, 4 and 6 steps away (horizontal and vertical averaged), for Y, Cb, Cr;
- the correlation between the R, G and B noise;
- the share of the noise's variance in each band of spatial frequency (in the 64-pixel blocks that lie in flat areas:
  fine grain at high frequencies, blotches at low ones);
- the shape of the luma noise (its local mean taken out): kurtosis (3 for Gaussian noise), the share of pixels
  beyond 4 standard deviations, how patchy its level is (the coefficient of variation of its variance in 8 x 8
  windows) and its correlation with the next pixel across and down, apart;
- at edges, where the flat-area statistics do not look: the variance of the high-passed luma noise (the noise minus
  its Gaussian blur of 1 pixel) by the clean image's gradient magnitude, in mid-tones (clean luma 60-190). The real
  mean image is first aligned to its noisy shot by the global sub-pixel shift that fits them best (polyu_dev's
  shots are off their means by up to 0.4 pixel), so that the shift does not pass for noise at edges.

and writes the numbers as JSON and a figure (std by brightness, correlation by distance) with `--out`.

    python -m experiments.noise_calibration --data data/real/polyu_dev --out docs/camera-noise
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import REPO
from n2n_cli.noise import jpeg, parse_noise, quantize
from n2n_cli.noise.camera import RGB_TO_YCC

BANDS = (0, 16, 32, 64, 96, 128, 160, 192, 224, 256)  # clean luma bands, 8-bit levels
LAGS = (1, 2, 3, 4, 6)
FREQS = (0, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1)  # radial frequency bands, cycles per pixel
GRADS = (0, 1, 2, 4, 8, 16, 32, float("inf"))  # clean luma gradient bands, levels per pixel
MID = (60, 190)  # mid-tones, where the edge table is measured (clean luma, 8-bit levels)
M = np.array(RGB_TO_YCC)


def load(p: Path) -> np.ndarray:
    with Image.open(p) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64)


def flat_mask(clean: np.ndarray) -> np.ndarray:
    from scipy import ndimage  # the bench extra; imported here so that the docs render without it

    g = sum(ndimage.gaussian_gradient_magnitude(clean[..., c], 1.5) for c in range(3))
    return g < np.median(g)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))


def spectrum(x: np.ndarray, flat: np.ndarray, block: int = 64) -> list[float]:
    """Share of the variance of N x H x W noise in each radial frequency band of FREQS, from the blocks of `block`
    pixels that lie wholly in flat areas (Hann-windowed)."""
    f = np.fft.fftfreq(block)
    r = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    win = np.outer(np.hanning(block), np.hanning(block))
    power, count = np.zeros((block, block)), 0
    for img, m in zip(x, flat):
        for y in range(0, img.shape[0] - block + 1, block // 2):
            for z in range(0, img.shape[1] - block + 1, block // 2):
                if m[y : y + block, z : z + block].all():
                    b = img[y : y + block, z : z + block]
                    power += np.abs(np.fft.fft2((b - b.mean()) * win)) ** 2
                    count += 1
    return [float(power[(r >= a) & (r < b)].sum() / power.sum()) for a, b in zip(FREQS, FREQS[1:])]


def shape(y: np.ndarray, flat: np.ndarray) -> dict:
    """Shape of N x H x W luma noise on flat areas, each image's local mean (Gaussian, 4 pixels) taken out."""
    from scipy import ndimage

    kurt, tails, patchy, across, down = [], [], [], [], []
    for img, m in zip(y, flat):
        e = img - ndimage.gaussian_filter(img, 4)
        z = e[m] / e[m].std()
        kurt.append((z**4).mean())
        tails.append((np.abs(z) > 4).mean() * 1000)
        local = ndimage.uniform_filter(e * e, 8)[m]
        patchy.append(local.std() / local.mean())
        across.append(corr(e[:, 1:][m[:, 1:] & m[:, :-1]], e[:, :-1][m[:, 1:] & m[:, :-1]]))
        down.append(corr(e[1:][m[1:] & m[:-1]], e[:-1][m[1:] & m[:-1]]))
    return {
        k: float(np.mean(v))
        for k, v in zip(("kurtosis", "tails", "patchy", "across", "down"), (kurt, tails, patchy, across, down))
    }


def align(noisy: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """`clean` (H x W x 3) shifted by the sub-pixel (dy, dx) whose luma best fits `noisy`'s (least squares, Fourier
    shift, borders left out), and the shift."""
    from scipy import ndimage, optimize

    def shifted(x: np.ndarray, d: np.ndarray) -> np.ndarray:
        return np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(x), d)).real

    b = 8
    ny, cy = noisy @ M[0], clean @ M[0]

    def cost(d: np.ndarray) -> float:
        return float(np.mean((ny - shifted(cy, d))[b:-b, b:-b] ** 2))

    d = optimize.minimize(cost, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 0.01, "fatol": 1e-4}).x
    return np.stack([shifted(clean[..., c], d) for c in range(3)], -1), (float(d[0]), float(d[1]))


def edges(pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[float | None]:
    """Variance of the high-passed luma noise in each band of GRADS, mid-tones only (8-pixel borders left out)."""
    from scipy import ndimage

    b = 8
    acc: list[list[np.ndarray]] = [[] for _ in GRADS[1:]]
    for noisy, clean in pairs:
        luma = clean @ M[0]
        e = (noisy - clean) @ M[0]
        hp = (e - ndimage.gaussian_filter(e, 1.0))[b:-b, b:-b]
        band = (np.digitize(ndimage.gaussian_gradient_magnitude(luma, 1.0), GRADS) - 1)[b:-b, b:-b]
        mid = ((luma > MID[0]) & (luma < MID[1]))[b:-b, b:-b]
        for k in range(len(acc)):
            acc[k].append(hp[mid & (band == k)] ** 2)
    return [float(np.concatenate(v).mean()) if sum(map(len, v)) > 2000 else None for v in acc]


def local_fit(pairs: list[tuple[np.ndarray, np.ndarray]], window: int = 32) -> float:
    """The share of the high-passed luma noise's variance at edges (clean gradient over 16 levels per pixel,
    mid-tones) that a local shift and blur explain: in each `window`-pixel square the noise's least-squares fit by
    the clean luma's x and y derivatives and its Laplacian is taken out. Misregistration would leave most of it
    there; noise, little."""
    from scipy import ndimage

    before: list[np.ndarray] = []
    after: list[np.ndarray] = []
    for noisy, clean in pairs:
        luma = clean @ M[0]
        e = (noisy - clean) @ M[0]
        gy, gx = np.gradient(luma)
        basis = np.stack([gx, gy, ndimage.laplace(luma), np.ones_like(luma)], -1)
        rest = e.copy()
        h, w = (s - s % window for s in e.shape)
        for y in range(0, h, window):
            for x in range(0, w, window):
                a = basis[y : y + window, x : x + window].reshape(-1, 4)
                b = e[y : y + window, x : x + window].ravel()
                k = np.linalg.lstsq(a, b, rcond=None)[0]
                rest[y : y + window, x : x + window] = (b - a @ k).reshape(window, window)
        keep = np.zeros(e.shape, bool)
        keep[8 : h - 8, 8 : w - 8] = True
        keep &= (ndimage.gaussian_gradient_magnitude(luma, 1.0) > 16) & (luma > MID[0]) & (luma < MID[1])
        for x, acc in ((e, before), (rest, after)):
            acc.append((x - ndimage.gaussian_filter(x, 1.0))[keep] ** 2)
    return 1 - float(np.concatenate(after).mean() / np.concatenate(before).mean())


def stats(pairs: list[tuple[np.ndarray, np.ndarray]], aligned: bool = False) -> dict:
    """pairs of (noisy, clean) H x W x 3 arrays in 8-bit levels -> the noise's statistics on flat areas, and at
    edges (`edges`; with `aligned`, each clean image first aligned to its noisy one)."""
    ycc, luma, masks, rgb = [], [], [], []
    for noisy, clean in pairs:
        d = noisy - clean
        ycc.append(d @ M.T)
        luma.append(clean @ M[0])
        masks.append(flat_mask(clean))
        rgb.append(d)
    D, Y, F, R = (np.stack(x) for x in (ycc, luma, masks, rgb))
    band = np.digitize(Y, BANDS) - 1
    out: dict = {"std": {}, "std_by_band": {}, "lag_corr": {}}
    for k, name in enumerate(("Y", "Cb", "Cr")):
        x = D[..., k]
        out["std"][name] = float(x[F].std())
        out["std_by_band"][name] = [
            float(x[F & (band == b)].std()) if (F & (band == b)).sum() > 2000 else None for b in range(len(BANDS) - 1)
        ]
        lags = []
        for lag in LAGS:
            h = corr(x[:, :, lag:][F[:, :, lag:] & F[:, :, :-lag]], x[:, :, :-lag][F[:, :, lag:] & F[:, :, :-lag]])
            v = corr(x[:, lag:][F[:, lag:] & F[:, :-lag]], x[:, :-lag][F[:, lag:] & F[:, :-lag]])
            lags.append((h + v) / 2)
        out["lag_corr"][name] = lags
    out["spectrum"] = {name: spectrum(D[..., k], F) for k, name in enumerate(("Y", "Cb", "Cr"))}
    out["shape"] = shape(D[..., 0], F)
    if aligned:
        fitted = [align(noisy, clean) for noisy, clean in pairs]
        out["shifts"] = [d for _, d in fitted]
        matched = [(noisy, c) for (noisy, _), (c, _) in zip(pairs, fitted)]
        out["edges"] = edges(matched)
        out["local_fit"] = local_fit(matched)
    else:
        out["edges"] = edges(pairs)
    out["rgb_std"] = [float(R[..., c][F].std()) for c in range(3)]
    out["rgb_corr"] = {
        "RG": corr(R[..., 0][F], R[..., 1][F]),
        "GB": corr(R[..., 1][F], R[..., 2][F]),
        "RB": corr(R[..., 0][F], R[..., 2][F]),
    }
    return out


def synthesise(cleans: list[np.ndarray], spec: str, level: float, quality: int, seed: int) -> list:
    """(noisy, clean) pairs: each clean image with `spec`'s noise at `level`, quantized, saved as JPEG."""
    kind = spec.split(":")[0]
    noise = parse_noise(f"{kind}:{level:g}")
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for clean in cleans:
        c = torch.from_numpy(clean / 255.0).permute(2, 0, 1)[None].float()
        x = quantize(noise.add(c, g))
        if quality:
            x = jpeg(x, quality)
        pairs.append((x[0].permute(1, 2, 0).double().numpy() * 255.0, clean))
    return pairs


def matched(cleans: list[np.ndarray], spec: str, target_y: float, quality: int, seed: int) -> tuple[float, dict]:
    """The level at which `spec`'s noise has the real luma std `target_y` (flat areas, after JPEG), and its stats."""
    level = target_y
    for _ in range(3):  # std is nearly proportional to the level; JPEG and rounding bend it a little
        s = stats(synthesise(cleans, spec, level, quality, seed))
        level *= target_y / s["std"]["Y"]
    return level, stats(synthesise(cleans, spec, level, quality, seed))


def table(rows: dict[str, dict]) -> str:
    lines = [
        "| noise | Y std | Cb std | Cr std | Y corr at 1, 2, 3 px | Cb corr at 1, 2, 4, 6 px | "
        "Cr corr at 1, 2, 4, 6 px | R-G, G-B, R-B corr |",
        "|" + "---|" * 8,
    ]
    for name, s in rows.items():
        lc = s["lag_corr"]
        lines.append(
            f"| {name} | {s['std']['Y']:.2f} | {s['std']['Cb']:.2f} | {s['std']['Cr']:.2f} | "
            + ", ".join(f"{v:.2f}" for v in lc["Y"][:3])
            + " | "
            + ", ".join(f"{lc['Cb'][i]:.2f}" for i in (0, 1, 3, 4))
            + " | "
            + ", ".join(f"{lc['Cr'][i]:.2f}" for i in (0, 1, 3, 4))
            + " | "
            + ", ".join(f"{v:.2f}" for v in s["rgb_corr"].values())
            + " |"
        )
    lines += [
        "",
        "| noise | channel | variance share by frequency band, cycles/pixel: "
        + ", ".join(f"{a:.3g}-{b:.3g}" for a, b in zip(FREQS, FREQS[1:]))
        + " |",
        "|---|---|---|",
    ]
    for name, s in rows.items():
        for ch in ("Y", "Cb", "Cr"):
            lines.append(f"| {name} | {ch} | " + ", ".join(f"{v:.2f}" for v in s["spectrum"][ch]) + " |")
    lines += [
        "",
        "| noise | Y std by clean luma band (" + ", ".join(f"{a}-{b}" for a, b in zip(BANDS, BANDS[1:])) + ") |",
        "|---|---|",
    ]
    for name, s in rows.items():
        lines.append(f"| {name} | " + ", ".join("-" if v is None else f"{v:.2f}" for v in s["std_by_band"]["Y"]) + " |")
    lines += [
        "",
        "| noise | Y kurtosis | Y beyond 4 sd (per mille) | Y patchiness | Y corr with the next pixel across, down |",
        "|---|---|---|---|---|",
    ]
    for name, s in rows.items():
        h = s["shape"]
        cells = f"{h['kurtosis']:.2f} | {h['tails']:.2f} | {h['patchy']:.2f} | {h['across']:.2f}, {h['down']:.2f}"
        lines.append(f"| {name} | {cells} |")
    bands = ", ".join(f"{a:g}-{b:g}" for a, b in zip(GRADS, GRADS[1:])).replace("-inf", "+")
    lines += [
        "",
        f"| noise | high-passed Y variance by clean luma gradient (levels/pixel: {bands}), mid-tones |",
        "|---|---|",
    ]
    for name, s in rows.items():
        if "edges" in s:
            lines.append(f"| {name} | " + ", ".join("-" if v is None else f"{v:.2f}" for v in s["edges"]) + " |")
    return "\n".join(lines)


def figure(rows: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 4, figsize=(18, 3.8))
    mids = [(a + b) / 2 for a, b in zip(BANDS, BANDS[1:])]
    shown = [(n, s) for n, s in rows.items() if not n.startswith("real ")]  # the per-camera rows: tables only
    for (name, s), style in zip(shown, ("-", "--", ":", "-.")):
        for ch, color in zip(("Y", "Cb", "Cr"), ("k", "tab:blue", "tab:red")):
            v = [np.nan if x is None else x for x in s["std_by_band"][ch]]
            ax[0].plot(mids, v, style, color=color, label=f"{name} {ch}")
            ax[1].plot(LAGS, s["lag_corr"][ch], style, color=color, marker="o", ms=3, label=f"{name} {ch}")
            ax[2].plot(range(len(FREQS) - 1), s["spectrum"][ch], style, color=color, marker="o", ms=3)
        if "edges" in s:
            v = [np.nan if x is None else x for x in s["edges"]]
            ax[3].plot(range(len(GRADS) - 1), v, style, color="k", marker="o", ms=3, label=name)
    ax[0].set(xlabel="clean luma (8-bit level)", ylabel="noise std (8-bit levels)", title="level by brightness")
    ax[1].set(xlabel="distance (pixels)", ylabel="correlation", title="correlation with neighbours", ylim=(-0.05, 1))
    ax[2].set(xlabel="frequency band (cycles/pixel)", ylabel="share of the variance", title="spectrum (flat blocks)")
    ax[2].set_xticks(range(len(FREQS) - 1), [f"{a:.3g}-{b:.3g}" for a, b in zip(FREQS, FREQS[1:])], fontsize=7)
    ax[3].set(xlabel="clean luma gradient (levels/pixel)", ylabel="high-passed Y noise variance", title="at edges")
    ax[3].set_xticks(range(len(GRADS) - 1), [f"{a:g}-{b:g}".replace("-inf", "+") for a, b in zip(GRADS, GRADS[1:])])
    ax[3].legend(fontsize=7)
    ax[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "data/real/polyu_dev", help="folder with noisy/ and mean/")
    ap.add_argument(
        "--recipes", default="camera,camera+edges,raw,gaussian", help="noise kinds to match to the real noise"
    )
    ap.add_argument("--quality", type=int, default=75, help="JPEG quality of the synthetic crops (polyu_dev's: 75)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N crops")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="write OUT.json and OUT.png")
    a = ap.parse_args()
    names = sorted((a.data / "noisy").glob("*.jpg"))[: a.limit or None]
    if not names:
        sys.exit(f"{a.data}: no noisy/*.jpg")
    real = [(load(p), load(a.data / "mean" / p.name)) for p in names]
    rows = {"real": stats(real, aligned=True)}
    cameras = sorted({p.name.split("_")[0] for p in names})
    per_camera = {
        f"real {cam}": stats([r for p, r in zip(names, real) if p.name.split("_")[0] == cam], aligned=True)
        for cam in cameras
    }
    levels = {}
    for spec in a.recipes.split(","):
        levels[spec], rows[spec] = matched([c for _, c in real], spec, rows["real"]["std"]["Y"], a.quality, a.seed)
    print(
        f"{len(real)} crops of {a.data}; synthetic noise at the level matching the real luma std, JPEG q{a.quality}: "
        + ", ".join(f"{k}:{v:.2f}" for k, v in levels.items())
        + "\n"
    )
    rows |= per_camera  # after the recipes, so that the figure shows the set as a whole and the recipes
    print(table(rows))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.with_suffix(".json").write_text(
            json.dumps(
                {
                    "data": str(a.data.name),
                    "crops": len(real),
                    "quality": a.quality,
                    "levels": levels,
                    "rows": rows,
                    "command": "python -m experiments.noise_calibration " + " ".join(sys.argv[1:]),
                },
                indent=1,
            )
        )
        figure(rows, a.out.with_suffix(".png"))
        print(f"\nwrote {a.out.with_suffix('.json')} and {a.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
