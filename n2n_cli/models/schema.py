"""What each field of a checkpoint must be, checked when it is loaded: a field of the wrong type or range (written by
hand, by another tool, or damaged) is one CheckpointError line naming the file and the field, never a traceback later
where the field is used. Fields the format does not know are left alone, and so is the run's record ("run"), which
`--resume` reads with its own checks (training/fingerprint.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError
from ..io.normalize import Normalization

# metrics fields that hold numbers (or null) when present; the trainer, the curve and the best epoch read them
METRIC_NUMBERS = ("epoch", "loss", "seconds", "images_per_s", "val_psnr", "val_psnr_estimate", "best_epoch")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_fields(obj: dict[str, Any], path: str | Path) -> None:
    """Refuse, in one line, a checkpoint dict whose known fields are not what n2n writes."""

    def bad(field: str, want: str) -> CheckpointError:
        return CheckpointError(f"{path}: its {field!r} field is {_show(obj.get(field))}; expected {want}")

    if "format" in obj and not (_count(obj["format"]) and obj["format"] >= 1):
        raise bad("format", "a format number")
    if not isinstance(obj.get("model"), str) or not obj["model"]:
        raise bad("model", "an architecture's name")
    kwargs = obj.get("model_kwargs", {})
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise bad("model_kwargs", "a dict of the architecture's arguments")
    state = obj.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise bad("state_dict", "a dict of named tensors")
    if obj.get("version") is not None and not isinstance(obj["version"], str):
        raise bad("version", "a version string")
    if "epoch" in obj and not _count(obj["epoch"]):
        raise bad("epoch", "a number of epochs (0 or more)")
    opt = obj.get("optimizer")
    if opt is not None and not (
        isinstance(opt, dict)
        and isinstance(opt.get("state", {}), dict)
        and isinstance(opt.get("param_groups", []), list)
    ):
        raise bad("optimizer", "an optimizer's state (a dict of 'state' and 'param_groups')")
    # (a malformed "run" record is the trainer's: --resume goes on with a note, training/trainer.py)
    if "run_id" in obj and not isinstance(obj["run_id"], str):
        raise bad("run_id", "a run's id (a string)")
    _check_metrics(obj, path)
    _check_config(obj, path)


def _check_metrics(obj: dict[str, Any], path: str | Path) -> None:
    metrics = obj.get("metrics", [])
    if not isinstance(metrics, list):
        raise CheckpointError(f"{path}: its 'metrics' field is {_show(metrics)}; expected a list of epochs' rows")
    for row in metrics:
        if not isinstance(row, dict):
            raise CheckpointError(f"{path}: a row of its 'metrics' is {_show(row)}; expected a dict")
        for k in METRIC_NUMBERS:
            v = row.get(k)
            if v is not None and not _number(v):
                raise CheckpointError(f"{path}: the metrics' {k!r} is {_show(v)}; expected a number")


def _check_config(obj: dict[str, Any], path: str | Path) -> None:
    if "config" not in obj:
        return
    config = obj["config"]
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: its 'config' field is {_show(config)}; expected a dict")
    if "normalization" in config and config["normalization"] is not None:
        try:
            Normalization.from_record(config["normalization"], strict=True)
        except ValueError as e:
            raise CheckpointError(f"{path}: its recorded normalization is not valid: {e}") from None


def _show(v: Any) -> str:
    """A value in a message: short, on one line."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    text = repr(v) if isinstance(v, (str, int, float, bool, type(None))) else f"a {type(v).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."
