"""Where the work runs: the device, and mixed precision on it."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache

import torch

from .errors import UserError
from .flags import flag


def mps_available() -> bool:
    """True where torch has Apple-silicon GPUs (Metal Performance Shaders) and one is usable."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else Apple's MPS, else the CPU; a GPU asked for and absent is a user error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"{flag('device')} cuda: no CUDA device is available (use {flag('device')} cpu or auto)")
    if name == "mps" and not mps_available():
        raise UserError(
            f"{flag('device')} mps: no Apple-silicon GPU is available to this torch (MPS needs macOS 12.3+ on "
            f"Apple silicon); use {flag('device')} cpu or auto"
        )
    return torch.device(name)


def is_gpu(device: torch.device) -> bool:
    """A GPU (CUDA or MPS): larger batches pay off there."""
    return device.type in ("cuda", "mps")


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX-512 BF16 or AMX); read from /proc/cpuinfo, False elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast(device: torch.device, cpu_bf16: bool = False) -> AbstractContextManager[object]:
    """bf16 autocast on CUDA (tensor cores); on the CPU only when asked (`cpu_bf16`) and the CPU has bf16 units,
    since without them it is slower than fp32."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and cpu_bf16 and cpu_has_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()
