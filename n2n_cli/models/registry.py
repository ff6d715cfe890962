"""The model registry: `@register_model("name")` on a `Net` subclass, `create_model(name, channels, **kwargs)`."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .base import Net

_REGISTRY: dict[str, type[Net]] = {}
N = TypeVar("N", bound=type[Net])


def register_model(name: str) -> Callable[[N], N]:
    """Class decorator: register a `Net` subclass under `name` (its `arch`)."""

    def register(cls: N) -> N:
        cls.arch = name
        _REGISTRY[name] = cls
        return cls

    return register


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, channels: int = 3, **kwargs: Any) -> Net:
    """Build a registered model for images with `channels` channels (1 or 3); `kwargs` pick a variant."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(model_names())}")
    return _REGISTRY[name](channels=channels, **kwargs)
