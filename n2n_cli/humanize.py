"""Numbers, durations and models as people read them, for every message that shows one: a learning rate as 1.41e-3
(not 0.0014142135623730952), a duration as 3:05 or 2h05m, a model as its architecture in words."""

from __future__ import annotations

import math
from typing import Any


def number(x: float, digits: int = 3) -> str:
    """`x` to `digits` significant digits: integers with thousands separators, small and large values in
    scientific notation (1.41e-3), others plainly (0.25, 31.2)."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return f"{int(x):,}"
    if not math.isfinite(x):
        return str(x)
    if x != 0 and not 1e-2 <= abs(x) < 1e6:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    if abs(x) >= 10**digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def clock(seconds: float) -> str:
    """A duration for a progress line: m:ss under an hour, then 2h05m."""
    s = max(0, int(round(seconds)))
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}h{s // 60 % 60:02d}m"


def parameters(n: int) -> str:
    return f"{n / 1e6:.2f} M parameters" if n >= 100_000 else f"{n:,} parameters"


def describe_model(arch: str, kwargs: dict[str, Any], count: int | None = None) -> str:
    """E.g. "fast network for RGB images (widths 56-112-224, depth 1-1-2, global context; 1.23 M parameters)": the
    registered architecture, its channels, its other arguments in words, and its size when `count` is given."""
    channels = kwargs.get("channels")
    kind = {1: "gray", 3: "RGB"}.get(channels, f"{channels}-channel") if channels is not None else ""
    parts = []
    for k, v in kwargs.items():
        if k == "channels":
            continue
        if isinstance(v, bool):
            if v:
                parts.append("global context" if k == "context" else k.replace("_", " "))
        elif isinstance(v, (list, tuple)):
            parts.append(f"{k} {'-'.join(str(x) for x in v)}")
        else:
            parts.append(f"{k} {v}")
    detail = ", ".join(parts)
    if count is not None:
        detail = f"{detail}; {parameters(count)}" if detail else parameters(count)
    return f"{arch} network" + (f" for {kind} images" if kind else "") + (f" ({detail})" if detail else "")
