"""Turn a training checkpoint into a bundled weights file: drop the optimizer state, keep weights and provenance.

    python -m tools.bundle_weights runs/unet-blind-rgb.pt weights/unet-blind-rgb.pt

Prints the sha256 and the training record to paste into weights/README.md (the model card).
"""

import argparse
import hashlib
import json

from n2n_cli.io import atomic_save
from n2n_cli.models.checkpoint import load_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    args = ap.parse_args()
    ck = load_checkpoint(args.checkpoint)
    ck.pop("optimizer", None)
    atomic_save(ck, args.output)
    digest = hashlib.sha256(open(args.output, "rb").read()).hexdigest()
    print(f"{args.output}: sha256 {digest}")
    print(
        json.dumps(
            {
                "model": ck["model"],
                "model_kwargs": ck["model_kwargs"],
                "epoch": ck.get("epoch"),
                "config": ck.get("config"),
                "metrics": ck.get("metrics"),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
