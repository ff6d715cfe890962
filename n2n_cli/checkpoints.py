"""Checkpoints (self-describing, atomic, safe to load) and the bundled weights that ship inside the package."""

from __future__ import annotations

import pickle
import warnings
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import __version__, defaults
from .atomic import atomic_write
from .errors import UserError
from .models import create_model, is_course_state_dict, model_names, seed_from_v1

# 1: n2n 0.1. 2: SeedNet's last layer takes (layer 1 output, t_conv1 output), the course's order; format-1 `seed`
# and `tiny` weights are converted on load.
FORMAT = 2


class CheckpointError(UserError):
    """A model file that cannot be used; the message names it."""


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temp file in the same folder, then rename: a crash never leaves a half-written file."""
    atomic_write(path, lambda f: torch.save(obj, f))


def safe_load(path: Path, what: str, error: type[UserError], mmap: bool = False) -> Any:
    """torch.load with weights_only=True: tensors and plain containers only, never code. Errors name the file in
    one line and never suggest loading unsafely."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
        if not (head == b"PK\x03\x04" or head[:1] == b"\x80"):  # torch.save's zip format, or its legacy pickle
            raise error(f"{path}: not a readable {what}: " + ("an empty file" if not head else
                                                              "not a file written by torch.save"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
            except RuntimeError as e:
                if not mmap or "mmap" not in str(e):
                    raise
                return torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except pickle.UnpicklingError as e:
        if "GLOBAL" not in str(e):  # broken pickle data, not a refused object (a class or function to import)
            raise error(f"{path}: not a readable {what} (corrupt pickle data)") from None
        raise error(f"{path}: refused to load: not a plain {what} (it holds Python objects that loading would "
                    "run, and n2n loads only tensors and plain values)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError, TypeError,
            AttributeError, UnicodeDecodeError, MemoryError) as e:
        detail = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise error(f"{path}: not a readable {what} ({detail})") from None


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and torch.compile wrappers."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def make_checkpoint(model: nn.Module, **fields: Any) -> dict:
    """A checkpoint dict of plain values and tensors for a model made by `create_model` (it records its name and
    constructor arguments); `fields` adds epoch, metrics, config, optimizer..."""
    model = unwrap(model)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"format": FORMAT, "model": model.arch, "model_kwargs": dict(model.kwargs), "state_dict": state,
            "version": __version__, **fields}


def load_checkpoint(path: str | Path) -> dict:
    """Load an n2n checkpoint, or a plain state_dict saved by the course's Model (loaded as `seed`)."""
    path = Path(path)
    if not path.is_file():
        if path.name in model_names() and str(path) == path.name:
            raise CheckpointError(f"{path}: an architecture, not a model file: train one with "
                                  f"`n2n train --arch {path.name}`, then pass its checkpoint to --model")
        raise CheckpointError(f"{path}: no such model file")
    obj = safe_load(path, "checkpoint", CheckpointError)
    if is_course_state_dict(obj):
        obj = {"format": FORMAT, "model": "seed", "model_kwargs": {"channels": obj["conv1.weight"].shape[1]},
               "state_dict": obj, "version": None, "source": "course state_dict"}
    elif not (isinstance(obj, dict) and isinstance(obj.get("model"), str) and isinstance(obj.get("state_dict"), dict)
              and isinstance(obj.get("model_kwargs", {}), dict)):
        raise CheckpointError(f"{path}: not an n2n checkpoint or a course Model state_dict")
    if not isinstance(obj.get("format", FORMAT), int) or obj.get("format", FORMAT) > FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {obj['format']} is newer than this n2n understands; "
                              "upgrade n2n")
    if obj.get("format", 1) < 2 and obj["model"] in ("seed", "tiny"):
        obj = {**obj, "format": FORMAT, "state_dict": seed_from_v1(obj["state_dict"])}
    bad = [k for k, v in obj["state_dict"].items() if torch.is_tensor(v) and v.is_floating_point()
           and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"{path}: the weights hold NaN or infinite values ({bad[0]}); this model diverged "
                              "in training and cannot denoise")
    return obj


def build_model(ckpt: dict, path: str | Path = "checkpoint") -> nn.Module:
    """Rebuild the network a checkpoint describes and load its weights."""
    try:
        model = create_model(ckpt["model"], **ckpt.get("model_kwargs", {}))
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, RuntimeError, TypeError, KeyError) as e:
        raise CheckpointError(f"{path}: weights do not fit model {ckpt['model']!r} ({str(e).splitlines()[0]})") from None
    return model


def bundled_dir() -> Path:
    """weights/ inside the installed package, or at the top of the source tree for editable installs."""
    packaged = resources.files("n2n_cli") / "weights"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "weights"


def bundled_files() -> list[Path]:
    return sorted(bundled_dir().glob("*.pt"))


def resolve_model_path(model: str | Path | None) -> Path:
    """None -> the default bundled weights; a bare bundled file name -> that file; anything else is a path."""
    if model is None:
        return bundled_dir() / defaults.BUNDLED
    p = Path(model)
    if not p.exists() and (bundled_dir() / p.name).is_file() and p.name == str(model):
        return bundled_dir() / p.name
    return p


def load_model(model: str | Path | None = None) -> tuple[nn.Module, dict]:
    """(network, checkpoint) for a model file, a bundled weights name, or None for the default bundled weights."""
    path = resolve_model_path(model)
    ckpt = load_checkpoint(path)
    return build_model(ckpt, path), ckpt


def default_gray_path() -> Path | None:
    """The bundled gray model's file, which takes 1-channel images when no model is named, or None if none ships."""
    path = bundled_dir() / defaults.BUNDLED_GRAY
    return path if path.is_file() else None


def load_default_gray() -> nn.Module | None:
    path = default_gray_path()
    return load_model(path)[0] if path else None
