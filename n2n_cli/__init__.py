"""n2n: Noise2Noise image denoising from the command line. `from n2n_cli import Model` gives the EE-559 course API."""

from typing import Any

__version__ = "0.11.0"

__all__ = ["Model", "__version__"]


def __getattr__(name: str) -> Any:
    # torch is imported only when the course API is asked for, so `n2n --help` stays light
    if name == "Model":
        from .course import Model

        return Model
    raise AttributeError(f"module 'n2n_cli' has no attribute {name!r}")
