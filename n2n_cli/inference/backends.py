"""Inference backends: a network called on a batch of equally sized tiles, N x C x H x W float32 in [0, 1] (numpy)
in and out. Tiling, blending and file handling never see the framework behind it.

`TorchPredictor` runs an n2n model (device, channels_last) in float32 on every device: bf16, which training takes
on a GPU, costs a denoised image up to 0.6 dB where it holds fine detail (`python -m experiments.cpu_bf16`); `bf16`
turns it on where the device computes it (experiments). `OnnxPredictor` runs an exported `.onnx` model through
onnxruntime, an optional dependency imported only when an .onnx file is used.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from ..device import autocast
from ..errors import UserError, shorten
from ..io.normalize import Normalization
from ..models import contract
from .export import MULTIPLE_KEY, NORMALIZATION_KEY


class Predictor(Protocol):
    channels: int  # image channels the network takes and gives (1 or 3)
    device: torch.device  # where it runs, for the tile batch size
    multiple: int  # the network pads its input to a multiple of this: tiles are sized to it

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


class TorchPredictor:
    def __init__(self, model: nn.Module, device: torch.device | None = None, bf16: bool = False):
        self.device = device or next(model.parameters()).device
        # Module.to takes memory_format (its stubs do not say so)
        self.model = model.to(device=self.device, memory_format=torch.channels_last).eval()  # type: ignore[call-overload]
        self.channels, self.multiple, _ = contract(model)
        self.bf16 = bf16  # bf16 autocast on CUDA, and on a CPU with bf16 units; read at each call

    @torch.inference_mode()
    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not x.flags.writeable or min(x.strides) < 0:
            x = np.array(x)
        # any positive strides are taken as they are: tiles stacked as N x H x W x C are channels_last already
        t = torch.from_numpy(x).to(self.device).contiguous(memory_format=torch.channels_last)
        with autocast(self.device, cpu_bf16=True) if self.bf16 else nullcontext():
            y = self.model(t)
        out: np.ndarray = y.float().clamp_(0, 1).cpu().numpy()
        return out


class OnnxPredictor:
    def __init__(self, path: str | Path, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise UserError(f"{path}: running .onnx models needs onnxruntime: pip install 'n2n-cli[onnx]'") from None
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for broken files
            raise UserError(f"{path}: not a readable ONNX model ({shorten(str(e))})") from None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        if len(inp.shape) != 4 or inp.shape[1] not in (1, 3):
            raise UserError(f"{path}: expected an N x C x H x W image model with C = 1 or 3, got input {inp.shape}")
        self.channels = int(inp.shape[1])
        self.device = torch.device("cpu")
        meta = self.session.get_modelmeta().custom_metadata_map
        multiple = meta.get(MULTIPLE_KEY, "1")  # written by `n2n export`; other graphs: tiles off any grid
        self.multiple = int(multiple) if multiple.isdigit() and 0 < int(multiple) <= 1024 else 1
        self.normalization = _recorded_rule(meta.get(NORMALIZATION_KEY), path)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        (y,) = self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})
        return np.clip(y, 0, 1, out=y)


def _recorded_rule(text: str | None, path: str | Path) -> Normalization:
    """The normalization rule `n2n export` recorded in a graph's metadata; the default for other graphs. A record
    that is there but not a rule is refused: the graph would map intensities otherwise than it was trained to."""
    if not text:
        return Normalization()
    try:
        return Normalization.from_record(json.loads(text), strict=True)
    except ValueError as e:
        raise UserError(f"{path}: its recorded normalization ({NORMALIZATION_KEY}) is not valid: {e}") from None
