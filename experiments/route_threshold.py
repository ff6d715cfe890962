"""Where should the auto route's camera-model threshold lie for the default colour model that ships? By hand.

`route.choose` gives an image the camera model when, where the image is flat, the camera model takes away at least
max(CAMERA_EXTRA, CAMERA_EXTRA_SHARE * level) levels more than the default model (docs/denoise.md). What the
default takes away depends on the default model, so a new default moves the evidence. For every candidate image
(noise of CAMERA_LEVEL or more, correlated CAMERA_CORRELATION or more) of: all of CBSD68 clean, and the phone and
DSLR stand-ins of `--standins` CBSD68 images (benchmarks/proxies.py), it prints the estimate, that evidence, and
the PSNR of the plain route and of the camera route (against the clean image); then, for each value of
`--extras`, how many images of each set take the camera model and the mean PSNR each set would get.

    python -m experiments.route_threshold --extras 1.5,1.75,2.0,2.25,2.5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO
from benchmarks.proxies import proxy_pairs
from benchmarks.quality import score, synthetic_pairs
from n2n_cli.inference.loading import make_denoiser
from n2n_cli.inference.route import camera_need


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cbsd68", type=Path, default=REPO / "data/dev/cbsd68")
    ap.add_argument("--standins", type=int, default=68, help="phone and DSLR stand-ins of the first N images")
    ap.add_argument("--extras", default="1.5,1.75,2.0,2.25,2.5", help="values of CAMERA_EXTRA, comma-separated")
    ap.add_argument("--verbose", action="store_true", help="a line per candidate image")
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    sets = {
        "clean": synthetic_pairs(a.cbsd68, 0, None),
        "phone": proxy_pairs(a.cbsd68, "phone", a.standins),
        "dslr": proxy_pairs(a.cbsd68, "dslr", a.standins),
    }
    auto = make_denoiser(None, torch.device("cpu"), route="auto")
    camera = make_denoiser(None, torch.device("cpu"), route="camera")
    plain = make_denoiser(None, torch.device("cpu"), route="plain")
    extras = [float(e) for e in a.extras.split(",")]
    table: dict[str, list[tuple[float, float, float, float]]] = {}  # set -> (plain, camera, extra, level) per image
    for name, pairs in sets.items():
        rows = []
        for label, x, clean in pairs:
            out = auto(x)
            rep = auto.report
            assert rep is not None and rep.estimate is not None
            level = rep.estimate.level
            if rep.extra is None:  # not a candidate: the plain route whatever the threshold
                rows.append((score(out, clean), float("nan"), float("nan"), level))
                continue
            took_camera = rep.route != "plain"  # camera+shuffle counts as the camera model's
            plain_psnr = score(plain(x) if took_camera else out, clean)
            cam_psnr = score(out if took_camera else camera(x), clean)
            rows.append((plain_psnr, cam_psnr, rep.extra, level))
            if a.verbose:
                print(
                    f"{name} {label}: level {level:.1f}, extra {rep.extra:.2f}, "
                    f"plain {plain_psnr:.2f}, camera {cam_psnr:.2f}",
                    flush=True,
                )
        table[name] = rows
        print(f"{name}: {sum(not np.isnan(r[2]) for r in rows)} of {len(rows)} images are candidates", flush=True)
    print("\n| CAMERA_EXTRA | " + " | ".join(f"{n}: to camera | {n}: mean dB" for n in sets) + " |")
    print("|---|" + "---|---|" * len(sets))
    for e in extras:
        cells = []
        for name in sets:
            taken = [not np.isnan(extra) and extra >= camera_need(level, e) for _, _, extra, level in table[name]]
            psnrs = [c if t else p for (p, c, _, _), t in zip(table[name], taken)]
            cells += [f"{sum(taken)}", f"{np.mean(psnrs):.3f}"]
        print(f"| {e:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
