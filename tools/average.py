"""Average the weights of checkpoints from one training run (the last epochs of a cosine run): stochastic weight
averaging (Izmailov et al., UAI 2018), which lands nearer the middle of the region the run wanders in than any
one epoch does.

    python -m tools.average runs/epochs/e46.pt ... runs/epochs/e55.pt -o runs/averaged.pt

Every file must hold the same model (architecture, arguments, parameter names and shapes). The output keeps the
last file's training record (config, metrics, run) and lists its sources; the optimizer state is dropped.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from n2n_cli.io import atomic_save
from n2n_cli.models.checkpoint import load_checkpoint


def average(checkpoints: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the checkpoints' floating-point weights (others, such as counters, from the last)."""
    if not checkpoints:
        raise ValueError("no checkpoints to average")
    first = checkpoints[0]
    for ck in checkpoints[1:]:
        same = ck["model"] == first["model"] and ck.get("model_kwargs") == first.get("model_kwargs")
        shapes = {k: v.shape for k, v in ck["state_dict"].items()}
        if not same or shapes != {k: v.shape for k, v in first["state_dict"].items()}:
            raise ValueError("the checkpoints hold different models; only one run's epochs average")
    out = {}
    for k, v in checkpoints[-1]["state_dict"].items():
        if v.is_floating_point():
            out[k] = torch.stack([ck["state_dict"][k].double() for ck in checkpoints]).mean(0).to(v.dtype)
        else:
            out[k] = v
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    cks = [load_checkpoint(p) for p in args.checkpoints]
    last = cks[-1]
    out = {k: v for k, v in last.items() if k != "optimizer"}
    out["state_dict"] = average(cks)
    out["averaged_from"] = [f"{Path(p).name} (epoch {ck.get('epoch')})" for p, ck in zip(args.checkpoints, cks)]
    atomic_save(out, args.output)
    print(f"{args.output}: the mean of {len(cks)} checkpoints")


if __name__ == "__main__":
    main()
