"""What several commands share: choices, option declarations, parsing callbacks, and turning parsed options into the
core's configuration."""

from __future__ import annotations

import dataclasses
import inspect
import math
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer

from .. import defaults
from ..errors import printable

C = TypeVar("C")


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class Schedule(str, Enum):
    cosine = "cosine"
    constant = "constant"


class OutFormat(str, Enum):
    png = "png"
    jpg = "jpg"
    tif = "tif"


class Kind(str, Enum):
    train = "train"
    val = "val"


DEVICE_HELP = "auto: CUDA when present, else Apple's MPS (Apple-silicon GPUs), else CPU."
MODEL_HELP = (
    "Checkpoint, course state_dict or exported .onnx model, used for every image [default: the bundled best "
    "weights, and the bundled gray model for gray images]."
)


def parse_noise(ctx: typer.Context, param: typer.CallbackParam, spec: Optional[str]) -> Any:
    """A noise option's value as the core's Noise (torch is imported only when one is given)."""
    if spec is None:
        return None
    from ..noise import parse_noise as parse

    try:
        return parse(spec)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def learning_rate(value: Optional[float]) -> Optional[float]:
    """--lr: a finite number in (0, defaults.LR_MAX]."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a finite number above 0")
    if value is not None and value > defaults.LR_MAX:
        raise typer.BadParameter(f"{value:g} is above {defaults.LR_MAX:g}: steps that large make every run diverge")
    return value


def seed_range(value: int) -> int:
    """--seed: 0 to 2^63 - 1, what the generators take."""
    if not 0 <= value <= defaults.SEED_MAX:
        raise typer.BadParameter(f"{value} is outside 0 to 2^63 - 1 ({defaults.SEED_MAX})")
    return value


def max_pixels_option() -> Any:
    return typer.Option(
        defaults.MAX_PIXELS,
        "--max-pixels",
        min=1,
        help="Refuse images with more pixels per frame (checked from the header, before decoding).",
    )


def tta_option() -> Any:
    return typer.Option(False, "--tta", help="Average over the 8 flips and rotations of each tile (8x slower).")


def strength_option() -> Any:
    return typer.Option(
        defaults.STRENGTH,
        "--strength",
        min=0.0,
        max=1.0,
        help="How much of the noise to take away: 1 all the model finds, 0.7 leaves some grain "
        "(the output is input + strength x (denoised - input)).",
    )


class Route(str, Enum):
    auto = "auto"
    plain = "plain"
    camera = "camera"
    shuffle = "shuffle"


def route_option() -> Any:
    return typer.Option(
        Route(defaults.ROUTE),
        "--route",
        help="How each image is denoised: auto picks by the noise found in it (--explain says what and why); plain: "
        "the default model; camera: the camera model, for a camera's strong noise (phones, high ISO); shuffle: "
        "also denoise the image's pixel-shuffled sub-images (3 passes).",
    )


def tile_option() -> Any:
    return typer.Option(
        defaults.TILE, "--tile", min=16, help="Largest tile side; tiles are spread evenly, memory is bounded by it."
    )


def device_option() -> Any:
    return typer.Option(Device.auto, "--device", help=DEVICE_HELP)


def json_option(help: str = "Print the result as JSON.") -> Any:
    return typer.Option(False, "--json", help=help)


def config_from(cls: type[C], params: dict[str, Any], **overrides: Any) -> C:
    """A dataclass configuration built once from a command's parsed options: every option named as a field of
    `cls` (paths as strings, choices as their values), then `overrides`."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: _plain(v) for k, v in params.items() if k in names}
    return cls(**{**values, **overrides})


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


plain = _plain  # an option's parsed value as the core takes it (paths as strings, choices as their values)


def emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    """A command's result on stdout: the text (control characters in names escaped), or with --json the whole
    result (infinite values as the string "inf": json_values.py)."""
    from ..io.json_values import dumps
    from .app import say

    say(dumps(result, indent=2) if as_json else "\n".join(printable(line) for line in text.split("\n")))


VALUE_NAMES = {Path: "PATH", str: "TEXT", int: "INTEGER", float: "NUMBER"}  # what --help and docs/cli.md call values


def value_name(name: str, info: Any, annotation: Any) -> str:
    """The one rule for the value name of a declared parameter: an argument by its name in capitals; a flag none;
    a choice its values (a|b); else its type's name (PATH, TEXT, INTEGER, NUMBER)."""
    if isinstance(info, typer.models.ArgumentInfo):
        return name.upper()
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    kind = args[0] if typing.get_origin(annotation) is typing.Union and len(args) == 1 else annotation
    if kind is bool:
        return ""
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "|".join(str(m.value) for m in kind)
    return VALUE_NAMES.get(kind, "TEXT")


def name_values(app: typer.Typer) -> None:
    """Give every parameter of the app's commands that declares no metavar the one from `value_name`, so that
    `--help` and docs/cli.md (tools/docs.py reads the same declarations) name values alike."""
    callbacks = [c.callback for c in app.registered_commands] + [getattr(app.registered_callback, "callback", None)]
    for callback in filter(None, callbacks):
        hints = typing.get_type_hints(callback)
        for name, p in inspect.signature(callback).parameters.items():
            if isinstance(p.default, typer.models.ParameterInfo) and p.default.metavar is None:
                p.default.metavar = value_name(name, p.default, hints[name])
