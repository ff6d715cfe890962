"""The bundled weights (weights/, shipped inside the wheel) and how a model is named on the command line: a file, a
bundled file's name, or nothing for the defaults."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from .. import defaults
from .base import Net
from .checkpoint import build_model, load_checkpoint


def bundled_dir() -> Path:
    """weights/ inside the installed package, or at the top of the source tree for editable installs."""
    packaged = resources.files("n2n_cli") / "weights"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent.parent / "weights"


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


def load_model(model: str | Path | None = None) -> tuple[Net, dict[str, Any]]:
    """(network, checkpoint) for a model file, a bundled weights name, or None for the default bundled weights."""
    path = resolve_model_path(model)
    ckpt = load_checkpoint(path)
    return build_model(ckpt, path), ckpt


def default_gray_path() -> Path | None:
    """The bundled gray model's file, which takes 1-channel images when no model is named, or None if none ships."""
    path = bundled_dir() / defaults.BUNDLED_GRAY
    return path if path.is_file() else None


def load_default_gray() -> Net | None:
    path = default_gray_path()
    return load_model(path)[0] if path else None


def default_camera_path() -> Path | None:
    """The bundled camera model's file, which the auto route may give colour images with a camera's strong noise
    (inference/route.py) when no model is named, or None if none ships."""
    path = bundled_dir() / defaults.CAMERA_MODEL
    return path if path.is_file() else None
