"""Do the weak route's two passes agree where there is noise to take, and disagree where there is none? By hand, not
in CI.

The weak route (Denoiser._weak) takes the mean of the default model's output for the image and for its
anti-transpose, and boosts that correction defaults.WEAK_BOOST times. On a camera's weak noise the two corrections
are mostly the same noise taken away; on a clean photo that the estimate takes for weak noise they are mostly the
network's errors, which differ between the two passes. So the correlation between the two corrections (their luma,
over the image) may tell the two apart from the image alone. This prints it for each `polyu_dev` shot (colour, and
made gray through the gray model) and for the clean photos the route takes (every `--every`th CBSD68 and bsds431
photo, as PNG and saved as JPEG q90 and q95; bsds431 is what the models trained on, noised), and for rules that take
the factor from it (1 below `lo`, WEAK_BOOST from `hi`, linear between), each set's mean PSNR change against the
route as it is. Then, with each `polyu_dev` camera held out, the rule picked without it: the one that gains the clean
photos most while the other two cameras (colour and gray) lose at most `--tolerance` dB; and what it gives on the one
held out. The chroma and grid steps are taken as `n2n denoise` takes them.

    python -m experiments.pass_agreement
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from experiments.camera_shots import camera_shots, psnr, quantize
from experiments.chroma_left import clean_photos
from n2n_cli import defaults
from n2n_cli.inference.chroma import hold_chroma
from n2n_cli.inference.grid import grid_pads
from n2n_cli.inference.route import agreed_boost, agreed_share, agreement, weak_boost
from n2n_cli.models.bundled import load_default_gray, load_model
from n2n_cli.noise.estimate import YCC, estimate_noise

CAMERAS = ("Canon600D", "Canon80D", "Sony")
Rule = tuple[float, float]  # (lo, hi): factor 1 below lo, WEAK_BOOST from hi, linear between
RULES: list[Rule] = [(t, t) for t in (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)] + [
    (0.5, 0.8),
    (0.6, 0.8),
    (0.6, 0.85),
    (0.6, 0.9),
    (0.65, 0.8),
    (0.7, 0.8),
    (0.7, 0.85),
    (0.7, 0.9),
]
BUDGETS = (0.03, 0.02, 0.01, 0.0)  # the chroma budget where the passes agree (--budgets)
Key = tuple[object, float]  # a rule, or ("budget", b)
Row = tuple[float, dict[Key, float], float]  # the correlation, the change under each rule, the PSNR at WEAK_BOOST


def anti(x: torch.Tensor) -> torch.Tensor:
    return x.flip(2, 3).transpose(2, 3)


def factor(r: float, rule: Rule) -> float:
    lo, hi = rule
    share = 1.0 if r >= hi else 0.0 if r < lo else (r - lo) / (hi - lo)
    return 1 + (defaults.WEAK_BOOST - 1) * share


def measure(net: torch.nn.Module, x: torch.Tensor, ref: torch.Tensor, second: torch.nn.Module | None = None) -> Row:
    """The correlation of the two corrections' luma, and the PSNR of the route's output under each rule; `second`:
    the model of the second pass, over the image itself (None: `net` over its anti-transpose, as the route takes)."""
    h, w = x.shape[2:]
    pads = grid_pads(x[0].permute(1, 2, 0).numpy())
    top = left = 0
    if pads is not None:
        (top, bottom), (left, right) = pads
        x = torch.nn.functional.pad(x, (left, right, top, bottom), mode="reflect")
    c1 = net(x) - x
    c2 = (anti(net(anti(x))) if second is None else second(x)) - x
    image = lambda t: t[0].permute(1, 2, 0).numpy()  # noqa: E731
    r = agreement(image(x), image(x + c1), image(x + c2))  # as the route measures it
    mean = (c1 + c2) / 2
    scores: dict[float, float] = {}
    for k in {factor(r, rule) for rule in RULES} | {defaults.WEAK_BOOST}:
        z = (x + k * mean)[0].permute(1, 2, 0).numpy().copy()
        z = hold_chroma(z)[0] if z.shape[2] == 3 else z
        out = np.ascontiguousarray(z[top : top + h, left : left + w])
        scores[k] = psnr(quantize(torch.from_numpy(out).permute(2, 0, 1)[None]), ref)
    now = scores[defaults.WEAK_BOOST]
    changes: dict[Key, float] = {rule: scores[factor(r, rule)] - now for rule in RULES}
    if x.shape[1] == 3:  # the chroma budget: from CHROMA_BUDGET where the passes disagree to b where they agree
        z = (x + agreed_boost(defaults.WEAK_BOOST, r) * mean)[0].permute(1, 2, 0).numpy()
        held = {
            b: hold_chroma(z.copy(), defaults.CHROMA_BUDGET + (b - defaults.CHROMA_BUDGET) * agreed_share(r))[0]
            for b in (defaults.CHROMA_BUDGET, *BUDGETS)
        }
        got = {
            b: psnr(
                quantize(
                    torch.from_numpy(np.ascontiguousarray(o[top : top + h, left : left + w])).permute(2, 0, 1)[None]
                ),
                ref,
            )
            for b, o in held.items()
        }
        changes.update({("budget", b): got[b] - got[defaults.CHROMA_BUDGET] for b in BUDGETS})
    return r, changes, now


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polyu", type=Path, default=REPO / "data/real/polyu_dev")
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--bsds", type=Path, default=REPO / "data/train/bsds431")
    ap.add_argument("--every", type=int, default=3, help="every Nth CBSD68 and bsds431 photo")
    ap.add_argument("--camera", action="store_true", help="the second pass: the camera model over the image (colour)")
    ap.add_argument("--tolerance", type=float, default=0.005, help="dB a camera may lose under a picked rule")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    net, _ = load_model(None)
    gray = load_default_gray()
    assert gray is not None
    second = load_model(defaults.CAMERA_MODEL)[0] if a.camera else None
    for m in (net, gray, second):
        if m is not None:
            m.eval()
    rows: dict[str, list[Row]] = {}
    for camera in CAMERAS:
        for x, ref in zip(*camera_shots(a.polyu, camera)):
            rows.setdefault(camera, []).append(measure(net, x, ref, second))
            weights = torch.from_numpy(YCC[0]).float().view(1, 3, 1, 1)  # made gray as Pillow's convert("L")
            g, gref = (quantize((t * weights).sum(1, keepdim=True)) for t in (x, ref))
            if weak_boost(estimate_noise(g[0].permute(1, 2, 0).numpy())) != 1:
                rows.setdefault(f"{camera} gray", []).append(measure(gray, g, gref))
    for root in (a.cbsd68, a.bsds):
        for name, arr in clean_photos(root, a.every, (90, 95)):
            kind = {"png": "PNG", "jpg90": "JPEG q90", "jpg95": "JPEG q95"}[name.split("/")[0]]
            if weak_boost(estimate_noise(arr.astype(np.float32) / 255)) == 1:
                continue  # the route does not take it for weak noise
            x = torch.from_numpy(arr).permute(2, 0, 1)[None].float() / 255
            rows.setdefault(f"{root.name} clean {kind}", []).append(measure(net, x, x, second))
    k_now = defaults.WEAK_BOOST
    print(f"correlation of the two passes' corrections (luma): min / median / max; mean PSNR at factor {k_now:g}")
    for name, sel in rows.items():
        rs = np.array([r for r, _, _ in sel])
        now = np.mean([p for _, _, p in sel])
        print(
            f"  {name} ({len(sel)}): {rs.min():.3f} / {np.median(rs):.3f} / {rs.max():.3f}; {now:.3f} dB at {k_now:g}"
        )

    def change(sel: list[Row], rule: Key) -> float:
        return float(np.mean([d[rule] for _, d, _ in sel]))

    print(f"\nmean change in dB against the route now ({defaults.WEAK_BOOST:g} for all); rule (lo, hi): 1 below lo,")
    print(f"{defaults.WEAK_BOOST:g} from hi, linear between; lowest image in brackets")
    print("| rule | " + " | ".join(f"{n} ({len(s)})" for n, s in rows.items()) + " |")
    print("|---" * (len(rows) + 1) + "|")
    for rule in RULES:
        cells = [f"{change(sel, rule):+.3f} ({min(d[rule] for _, d, _ in sel):+.2f})" for sel in rows.values()]
        print(f"| {rule} | " + " | ".join(cells) + " |")
    print(
        f"\nthe chroma budget where the passes agree ({defaults.WEAK_AGREEMENT[1]:g} or more; "
        f"{defaults.CHROMA_BUDGET:g} where"
    )
    print(f"they agree {defaults.WEAK_AGREEMENT[0]:g} or less, linear between; the route's factor): change against")
    print(f"{defaults.CHROMA_BUDGET:g} throughout, colour sets")
    colour = {n: sel for n, sel in rows.items() if "gray" not in n}
    print("| budget | " + " | ".join(f"{n} ({len(s)})" for n, s in colour.items()) + " |")
    print("|---" * (len(colour) + 1) + "|")
    for b in BUDGETS:
        key = ("budget", b)
        cells = [f"{change(sel, key):+.3f} ({min(d[key] for _, d, _ in sel):+.2f})" for sel in colour.values()]
        print(f"| {b:g} | " + " | ".join(cells) + " |")
    clean = [s for n, s in rows.items() if " clean " in n]
    print(
        f"\none camera held out: the rule gaining clean photos most with the other cameras losing <= {a.tolerance:g} dB"
    )
    for out in CAMERAS:
        others = [s for n, s in rows.items() if n.split()[0] in CAMERAS and not n.startswith(out)]
        allowed = [rule for rule in RULES if min(change(s, rule) for s in others) >= -a.tolerance]
        best = max(allowed, key=lambda rule: float(np.mean([change(s, rule) for s in clean])))
        there = ", ".join(f"{n} {change(s, best):+.3f}" for n, s in rows.items() if n.startswith(out))
        gain = float(np.mean([change(s, best) for s in clean]))
        print(f"  {out} held out: {best}: {there}; clean sets {gain:+.3f} on average")


if __name__ == "__main__":
    main()
