"""How many passes, and which, for a camera's weak noise? The auto route averages two passes of the default model
(the image, and its anti-transpose: turned half a turn and transposed, turned back) and takes that correction
defaults.WEAK_BOOST times (Denoiser._weak). This measures the other second passes (a half turn, as 0.11.0 took; a
mirror; a quarter turn; the transpose, which keeps the pixels' phase) and more passes (3, 4 and all 8 flips and
turns, as --tta takes them) by the same rule: each set's mean output, its correction taken k times, the chroma held
to its budget (chroma.hold_chroma), rounded to 8 bits; an image whose JPEG grid is found off its origin or short of
whole blocks is padded onto it first and cut back, as `n2n denoise` does (inference/grid.py). By hand, not in CI.

On `polyu_dev` (per camera, gain over the noisy shot) and on the clean photos the route takes for weak noise (every
`--every`th CBSD68 image, as PNG and saved as JPEG at quality 90; change against the one pass at k = 1): what more
passes would buy, and what they would cost where there is no noise to take.

    python -m experiments.weak_passes
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import REPO
from experiments.camera_shots import camera_shots, psnr, quantize
from n2n_cli import defaults
from n2n_cli.inference.chroma import hold_chroma
from n2n_cli.inference.grid import grid_pads
from n2n_cli.inference.route import weak_boost
from n2n_cli.io import list_images
from n2n_cli.models.bundled import load_model
from n2n_cli.noise.estimate import estimate_noise

CAMERAS = ("Canon600D", "Canon80D", "Sony")
KS = (1.0, 1.2, 1.4, 1.6)
Turn = tuple[int, bool]  # quarter turns, then mirrored left to right
TRANSPOSE: Turn = (3, True)  # rows become columns, the first pixel stays first
SETS: dict[str, list[Turn]] = {
    "one pass": [(0, False)],
    "+ anti-transpose (the route)": [(0, False), (1, True)],
    "+ half turn (0.11.0)": [(0, False), (2, False)],
    "+ transpose": [(0, False), TRANSPOSE],
    "+ mirror": [(0, False), (0, True)],
    "+ quarter turn": [(0, False), (1, False)],
    "+ half turn + transpose": [(0, False), (2, False), TRANSPOSE],
    "+ anti-transpose + half turn": [(0, False), (1, True), (2, False)],
    "+ anti-transpose + quarter turn": [(0, False), (1, True), (1, False)],
    "4 turns": [(k, False) for k in range(4)],
    "all 8": [(k, f) for f in (False, True) for k in range(4)],
}


def turned(x: torch.Tensor, t: Turn) -> torch.Tensor:
    y = torch.rot90(x, t[0], (2, 3))
    return y.flip(3) if t[1] else y


def back(y: torch.Tensor, t: Turn) -> torch.Tensor:
    return torch.rot90(y.flip(3) if t[1] else y, -t[0], (2, 3))


def scores(net: torch.nn.Module, x: torch.Tensor, ref: torch.Tensor) -> dict[tuple[str, float], float]:
    """PSNR of each set of passes at each k, as the weak route finishes it (on the JPEG grid where one is found)."""
    h, w = x.shape[2:]
    pads = grid_pads(x[0].permute(1, 2, 0).numpy())
    if pads is not None:
        (top, bottom), (left, right) = pads
        x = torch.nn.functional.pad(x, (left, right, top, bottom), mode="reflect")
    outs = {t: back(net(turned(x, t)), t) for t in SETS["all 8"]}
    top, left = (pads[0][0], pads[1][0]) if pads is not None else (0, 0)
    got = {}
    for name, turns in SETS.items():
        mean = sum(outs[t] for t in turns) / len(turns)
        for k in KS:
            z = (x + k * (mean - x))[0].permute(1, 2, 0).numpy().copy()
            held, _ = hold_chroma(z)
            cut = np.ascontiguousarray(held[top : top + h, left : left + w])
            got[name, k] = psnr(quantize(torch.from_numpy(cut).permute(2, 0, 1)[None]), ref)
    return got


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--every", type=int, default=1, help="every Nth CBSD68 image")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    net, _ = load_model(None)
    net.eval()
    rows: dict[str, list[dict[tuple[str, float], float]]] = {}
    for camera in CAMERAS:
        for x, ref in zip(*camera_shots(a.polyu, camera)):
            got = scores(net, x, ref)
            noisy = psnr(x, ref)
            rows.setdefault(camera, []).append({key: v - noisy for key, v in got.items()})
    for i, p in enumerate(list_images(a.cbsd68)):
        if i % a.every:
            continue
        image = Image.open(p).convert("RGB")
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=90)
        for kind, im in (("PNG", image), ("JPEG q90", Image.open(buf))):
            arr = np.array(im.convert("RGB"))
            if weak_boost(estimate_noise(arr.astype(np.float32) / 255)) == 1:
                continue  # the route does not take it for weak noise
            x = torch.from_numpy(arr).permute(2, 0, 1)[None].float() / 255
            got = scores(net, x, x)
            rows.setdefault(f"CBSD68 clean {kind}", []).append(
                {key: v - got["one pass", 1.0] for key, v in got.items()}
            )
    rows["polyu_dev"] = [r for c in CAMERAS for r in rows[c]]

    print("dB, mean over each set's images (polyu_dev: gain over the noisy shot; clean: change against one pass at")
    print(f"k = 1); the route takes k = {defaults.WEAK_BOOST:g}")
    for k in KS:
        print(f"\nk = {k:g}\n| passes | " + " | ".join(f"{s} ({len(r)})" for s, r in rows.items()) + " |")
        print("|---" * (len(rows) + 1) + "|")
        for name, turns in SETS.items():
            cells = " | ".join(f"{np.mean([r[name, k] for r in sel]):+.3f}" for sel in rows.values())
            print(f"| {name}: {len(turns)} | {cells} |")
    print("\npolyu_dev, one camera held out: the k the other two pick for each set, what it gives there")
    for name in SETS:
        picks = []
        for out in CAMERAS:
            others = [r for c in CAMERAS if c != out for r in rows[c]]
            k = max(KS, key=lambda k: float(np.mean([r[name, k] for r in others])))
            picks.append(f"{out} k {k:g}: {np.mean([r[name, k] for r in rows[out]]):+.3f}")
        print(f"  {name}: " + "; ".join(picks))


if __name__ == "__main__":
    main()
