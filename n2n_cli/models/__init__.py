"""Network architectures, the registry that builds them by name, their checkpoint format and the bundled weights.

Importing this package registers every architecture (`fast`, `unet`, `seed`, `tiny`).
"""

from . import fast, seed, unet  # noqa: F401  registers the architectures
from .base import Net, contract, count_parameters
from .registry import create_model, model_names, register_model
from .seed import COURSE_KEYS, is_course_state_dict

__all__ = [
    "COURSE_KEYS",
    "Net",
    "contract",
    "count_parameters",
    "create_model",
    "is_course_state_dict",
    "model_names",
    "register_model",
]
