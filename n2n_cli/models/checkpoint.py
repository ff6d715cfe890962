"""The checkpoint format: a self-describing dict of plain values and tensors (format, model name and arguments,
state_dict, package version, and what training adds), loaded with weights_only=True."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import __version__
from ..errors import CheckpointError, shorten
from ..flags import flag
from ..io.regular import check_regular
from ..io.tensors import safe_load
from .base import Net
from .registry import create_model, model_names
from .schema import check_fields
from .seed import is_course_state_dict, seed_from_v1

# 1: n2n 0.1. 2: SeedNet's last layer takes (layer 1 output, t_conv1 output), the course's order; format-1 `seed`
# and `tiny` weights are converted on load.
FORMAT = 2


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and torch.compile wrappers."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def make_checkpoint(model: nn.Module, **fields: Any) -> dict[str, Any]:
    """A checkpoint dict for a registered model (it records its name and constructor arguments); `fields` adds
    epoch, metrics, config, optimizer..."""
    net = unwrap(model)
    if not isinstance(net, Net) or not net.arch:
        raise TypeError(f"{type(net).__name__} is not a registered n2n model; it has no name to record")
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    return {
        "format": FORMAT,
        "model": net.arch,
        "model_kwargs": dict(net.kwargs),
        "state_dict": state,
        "version": __version__,
        **fields,
    }


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load an n2n checkpoint, or a plain state_dict saved by the course's Model (loaded as `seed`)."""
    path = Path(path)
    check_regular(path, CheckpointError, "model file")
    if not path.is_file():
        if path.name in model_names() and str(path) == path.name:
            raise CheckpointError(
                f"{path}: an architecture, not a model file: train one with "
                f"`n2n train {flag('arch')} {path.name}`, then pass its checkpoint to {flag('model')}"
            )
        raise CheckpointError(f"{path}: no such model file")
    obj = safe_load(path, "checkpoint", CheckpointError)
    if is_course_state_dict(obj):
        obj = {
            "format": FORMAT,
            "model": "seed",
            "model_kwargs": {"channels": obj["conv1.weight"].shape[1]},
            "state_dict": obj,
            "version": None,
            "source": "course state_dict",
        }
    elif not (isinstance(obj, dict) and "model" in obj and "state_dict" in obj):
        raise CheckpointError(f"{path}: not an n2n checkpoint or a course Model state_dict")
    check_fields(obj, path)
    if obj.get("format", FORMAT) > FORMAT:
        raise CheckpointError(
            f"{path}: checkpoint format {obj['format']} is newer than this n2n understands; upgrade n2n"
        )
    if obj.get("format", 1) < 2 and obj["model"] in ("seed", "tiny"):
        obj = {**obj, "format": FORMAT, "state_dict": seed_from_v1(obj["state_dict"])}
    bad = [
        k
        for k, v in obj["state_dict"].items()
        if torch.is_tensor(v) and v.is_floating_point() and not torch.isfinite(v).all()
    ]
    if bad:
        raise CheckpointError(
            f"{path}: the weights hold NaN or infinite values ({bad[0]}); this model diverged "
            "in training and cannot denoise"
        )
    return obj


def build_model(ckpt: dict[str, Any], path: str | Path = "checkpoint") -> Net:
    """Rebuild the network a checkpoint describes and load its weights: first without memory (plan_model), so that
    arguments describing a network larger than the file's weights, or than memory, are refused before it is built."""
    try:
        plan_model(ckpt, path)
        model = create_model(ckpt["model"], **ckpt.get("model_kwargs", {}))
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, RuntimeError, TypeError, KeyError, OverflowError) as e:
        raise CheckpointError(f"{path}: weights do not fit model {ckpt['model']!r} ({shorten(str(e))})") from None
    return model


class _Larger(Exception):
    """The network being built holds more values than the checkpoint's weights."""


def plan_model(ckpt: dict[str, Any], path: str | Path = "checkpoint") -> None:
    """The memory plan of building the network a checkpoint describes: it is built on the meta device (no memory),
    stopped as soon as it holds more values than the file's weights (it could not load them), and its size is
    compared with the memory available."""
    from ..memory import Plan, available_memory, room

    held = sum(t.numel() for t in ckpt["state_dict"].values())
    count = [0, 0]  # values, bytes

    def add(module: nn.Module, name: str, t: torch.Tensor | None) -> None:
        if t is not None:
            count[0] += t.numel()
            count[1] += t.numel() * t.element_size()
            if count[0] > held:
                raise _Larger

    hooks = [
        torch.nn.modules.module.register_module_parameter_registration_hook(add),
        torch.nn.modules.module.register_module_buffer_registration_hook(add),
    ]
    try:
        with torch.device("meta"):
            create_model(ckpt["model"], **ckpt.get("model_kwargs", {}))
    except _Larger:
        raise CheckpointError(
            f"{path}: its model_kwargs describe a {ckpt['model']!r} network larger than the {held:,} weights the file "
            "holds; the file is damaged or was not written by n2n"
        ) from None
    finally:
        for h in hooks:
            h.remove()
    Plan(f"{path}: building its {ckpt['model']!r} network", "what else takes memory", {"weights": count[1]}).check(
        room(available_memory())
    )
