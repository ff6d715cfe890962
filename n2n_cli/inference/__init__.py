"""Denoising: tiled, batched prediction over images of any size (denoiser, tiling), the networks behind it (backends:
torch or onnxruntime), a Denoiser for a named model (loading), whole files and folders (plan: where outputs go,
checked before any work; files: the run), and ONNX export."""

from .denoiser import Denoiser
from .loading import make_denoiser

__all__ = ["Denoiser", "make_denoiser"]
