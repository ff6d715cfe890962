"""ONNX export: any registered model, with dynamic batch, height and width, for `n2n denoise --model x.onnx`.

The models pad to their own multiple with arithmetic on the input's shape (no Python branch on it), so the exported
graph takes any size; tests compare it with torch at odd sizes.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn

from ..errors import UserError
from ..io import atomic_write
from ..models import contract

OPSET = 17
MULTIPLE_KEY = "n2n_multiple"  # metadata: the grid the network pads to, so tiles start on it (tiling.layout)


def export_onnx(model: nn.Module, path: str | Path) -> None:
    """Write `model` (in eval mode, float32, on the CPU) as ONNX with input `image` N x C x H x W in [0, 1]."""
    try:
        import onnx  # the exporter needs it too; a clear message beats its ImportError
    except ImportError:
        raise UserError("exporting to ONNX needs the onnx package: pip install 'n2n-cli[onnx]'") from None
    model = model.float().cpu().eval()
    channels, multiple, _ = contract(model)
    example = torch.rand(1, channels, 64, 64)
    path = Path(path)

    def write(f: BinaryIO) -> None:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                buf,  # type: ignore[arg-type]  # a file object is accepted
                input_names=["image"],
                output_names=["denoised"],
                dynamic_axes={
                    "image": {0: "batch", 2: "height", 3: "width"},
                    "denoised": {0: "batch", 2: "height", 3: "width"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        graph = onnx.load_from_string(buf.getvalue())
        onnx.helper.set_model_props(graph, {MULTIPLE_KEY: str(multiple)})
        f.write(graph.SerializeToString())

    atomic_write(path, write)
