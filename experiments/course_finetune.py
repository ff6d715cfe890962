"""The course API's `load_pretrained_model()` then `train(...)`: does training on course-format pairs after loading the
bundled weights lower their PSNR? The issue that asked (n2n 0.7.0) measured 34.59 -> 33.25 dB with the report's
rate (Adam 1e-3, constant); `train` after load_pretrained_model() now fine-tunes (defaults.FINETUNE_LR, decaying
along a half cosine). A by-hand study, not run in CI.

Course-format pairs are cut from clean images (`n2n synth`'s maker: COUNT random 32 x 32 crops, Gaussian noise
sigma 25, seeded); validation crops of another folder, (noisy, clean). Printed: the validation PSNR (mean over the
crops of the 8-bit-rounded output) of a fresh `Model()` trained the report's way, of the bundled weights, and of the
bundled weights after `train` (the fine-tune; with --report-rate also after the report's rate, the 0.7.0 way).

    python -m experiments.course_finetune --train data/train/bsds431 --val data/dev/cbsd68 --count 5000 --epochs 2
"""

from __future__ import annotations

import argparse
import json

import torch

from n2n_cli import Model, defaults
from n2n_cli.data.course_files import make_course_pairs
from n2n_cli.evaluation.metrics import psnr
from n2n_cli.noise import parse_noise


def val_psnr(model: Model, noisy: torch.Tensor, clean: torch.Tensor) -> float:
    out = model.predict(noisy).round().clamp(0, 255) / 255
    return float(psnr(out, clean.float() / 255).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="clean images the training pairs are cut from")
    ap.add_argument("--val", required=True, help="clean images the validation crops are cut from")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--val-count", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--report-rate", action="store_true", help="also fine-tune at the report's rate (0.7.0's way)")
    args = ap.parse_args()
    noise = parse_noise("gaussian:25")
    a, b = make_course_pairs(args.train, args.count, 32, noise, 0, "train")
    noisy, clean = make_course_pairs(args.val, args.val_count, 32, noise, 1, "val")
    rows: dict[str, float] = {}
    m = Model()
    m.load_pretrained_model()
    rows["bundled weights"] = val_psnr(m, noisy, clean)
    m.train(a, b, num_epochs=args.epochs)
    rows[f"bundled, then train() {args.epochs} epochs (fine-tune, lr {defaults.FINETUNE_LR:g} cosine)"] = val_psnr(
        m, noisy, clean
    )
    if args.report_rate:
        m = Model()
        m.load_pretrained_model()
        m.pretrained = False  # the 0.7.0 way: the report's rate on the bundled weights
        m.train(a, b, num_epochs=args.epochs)
        rows[f"bundled, then {args.epochs} epochs at the report's rate (lr 1e-3 constant)"] = val_psnr(m, noisy, clean)
    rows["noisy input"] = float(psnr(noisy.float() / 255, clean.float() / 255).mean())
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
