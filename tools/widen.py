"""Widen a trained `fast` model without changing what it computes, to go on training it with more channels.

    python -m tools.widen weights/fast-blind.pt runs/fast56-init.pt --widths 56,112,224
    python -m tools.widen weights/fast-blind.pt runs/context-init.pt --context
    n2n train ... --init runs/fast56-init.pt

`--context` adds a GlobalContext (models/fast.py) whose last layer is zero: it too changes nothing until trained.

Every weight of the old network is copied; the new channels get a fresh layer's random incoming weights and zero
weights out to the old channels, so they add nothing until training grows those (the network has no normalization
layer that would mix them in). The widened model's output equals the old one's to float rounding: a run continues
from where the old weights stand instead of from scratch (Net2Net's aim, Chen et al., ICLR 2016, by zero
outgoing weights rather than split copies).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from n2n_cli.io import atomic_save
from n2n_cli.models.checkpoint import build_model, load_checkpoint, make_checkpoint
from n2n_cli.models.fast import FastUNet


def widen(old: FastUNet, widths: Sequence[int] | None = None, seed: int = 0, context: bool = False) -> FastUNet:
    """A FastUNet with `widths` (each at least the old one, same depth; None: the old ones) and a GlobalContext if
    `context` or `old` has one, that computes what `old` computes."""
    old_widths = tuple(old.kwargs["widths"])
    widths = old_widths if widths is None else tuple(widths)
    if len(widths) != len(old_widths) or any(w < o for w, o in zip(widths, old_widths)):
        raise ValueError(f"widths {widths}: give one per level, none narrower than {old_widths}")
    if old.context is not None and widths != old_widths:
        raise ValueError("a model with a global context keeps its widths: widen it before adding the context")
    with torch.random.fork_rng():  # the new channels' random weights, without touching the caller's generator
        torch.manual_seed(seed)
        new = FastUNet(old.channels, widths, old.kwargs["depth"], context=context or old.context is not None)
    olds = dict(old.named_modules())
    with torch.no_grad():
        for name, m in new.named_modules():
            if not isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) or name not in olds:
                continue  # a new context: its zero last layer already leaves the output alone
            o = olds[name]
            # both seen as (out, in, k, k): ConvTranspose2d stores (in, out, k, k)
            flip = isinstance(m, nn.ConvTranspose2d)
            w, ow = (m.weight.transpose(0, 1), o.weight.transpose(0, 1)) if flip else (m.weight, o.weight)
            n_out, n_in = ow.shape[:2]
            w[:n_out, :n_in] = ow
            w[:n_out, n_in:] = 0  # new channels feed nothing the old network computes
            if m.bias is not None and o.bias is not None:
                m.bias[:n_out] = o.bias
    return new


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a `fast` model file")
    ap.add_argument("output")
    ap.add_argument("--widths", help="channels per level, comma-separated, e.g. 56,112,224 (default: the same)")
    ap.add_argument("--context", action="store_true", help="add a global context (models/fast.py)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the new channels' incoming weights")
    args = ap.parse_args(argv)
    ck = load_checkpoint(args.checkpoint)
    old = build_model(ck, args.checkpoint)
    if not isinstance(old, FastUNet):
        raise SystemExit(f"{args.checkpoint}: a {ck['model']!r} model; only `fast` models widen")
    widths = [int(w) for w in args.widths.split(",")] if args.widths else None
    new = widen(old, widths, args.seed, args.context)
    keep: dict[str, Any] = {k: ck[k] for k in ("config", "metrics", "run") if k in ck}
    atomic_save(make_checkpoint(new, widened_from=str(args.checkpoint), **keep), args.output)
    print(f"{args.output}: {ck['model_kwargs']} -> {new.kwargs}")


if __name__ == "__main__":
    main()
