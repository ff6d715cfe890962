"""JSON that every parser reads. n2n's results and metrics files hold floats that may be infinite (the PSNR of an
image identical to its reference) or NaN; Python's json writes them as Infinity and NaN, which JSON does not allow.
Here an infinite value is written as the string "inf" (or "-inf"), NaN as null."""

from __future__ import annotations

import json
import math
from typing import Any


def plain(obj: Any) -> Any:
    """`obj` with every non-finite float replaced: inf -> "inf", -inf -> "-inf", NaN -> None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    return json.dumps(plain(obj), allow_nan=False, **kwargs)
