"""A Denoiser for what the command line names: a checkpoint, a bundled weights name, an exported .onnx file, or
nothing for the bundled defaults (colour, and gray for gray images)."""

from __future__ import annotations

from pathlib import Path

import torch

from .. import defaults
from ..errors import CheckpointError
from ..io.normalize import Normalization
from ..io.regular import check_regular
from ..models.bundled import default_camera_path, load_default_gray, load_model
from .backends import OnnxPredictor
from .denoiser import Denoiser


def make_denoiser(
    model: str | None,
    device: torch.device,
    tile: int = defaults.TILE,
    tta: bool = False,
    strength: float = defaults.STRENGTH,
    route: str = "plain",
    camera: str | None = None,
) -> Denoiser:
    """A Denoiser for a checkpoint, a bundled weights name or an exported .onnx file. None gives the default bundled
    weights, and gray images go to the bundled gray model where one ships (else the colour model takes them,
    replicated to RGB: it was trained on a share of gray crops). A named model takes every image. The model's
    normalization rule (io/normalize.py) comes from its file: the checkpoint's config, the ONNX metadata. `route`:
    how each image is denoised (route.py); with no model named, the auto and camera routes have the bundled camera
    model (`camera` names another: a benchmark's candidate)."""
    if model is not None and str(model).lower().endswith(".onnx"):
        check_regular(model, CheckpointError, "model file")
        if not Path(model).is_file():
            raise CheckpointError(f"{model}: no such model file")
        onnx = OnnxPredictor(model)
        return Denoiser(onnx, tile=tile, tta=tta, strength=strength, normalization=onnx.normalization, route=route)
    net, ckpt = load_model(model)
    gray = load_default_gray() if model is None else None
    camera_path = camera or (default_camera_path() if model is None and route != "plain" else None)
    camera_net = load_model(camera_path)[0] if camera_path else None
    rule = Normalization.from_record(ckpt.get("config", {}).get("normalization"))  # older files: the default
    return Denoiser(
        net,
        device,
        tile=tile,
        tta=tta,
        strength=strength,
        gray_model=gray,
        normalization=rule,
        route=route,
        camera_model=camera_net,
    )
