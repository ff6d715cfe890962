"""Memory: how much this process may still use (RAM, under the container's limit too; a GPU's free memory), and the
check that refuses, before any work, a plan that cannot fit, naming the options that would make it fit.

A plan is a few named parts in bytes (model, activations, data...). The available memory is MemAvailable from
/proc/meminfo, lowered to the room left under the cgroup limit (v2 memory.max, v1 memory.limit_in_bytes) where one
is set; where neither can be read (macOS, Windows) nothing is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import defaults
from .errors import UserError

if TYPE_CHECKING:
    import torch

GIB = 2**30
UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a number near 2^63


class OutOfMemory(UserError):
    """A plan that does not fit in the memory available."""


@dataclass
class Plan:
    """What a run will hold at its peak, by part (bytes), and where (RAM, or a GPU)."""

    what: str  # "training", "n2n synth", ...
    lower: str  # the options that shrink it, for the message, e.g. "--batch-size or --patch-size"
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def describe(self) -> str:
        big = sorted(self.parts.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {gib(v)}" for k, v in big)

    def check(self, available: int | None, where: str = "memory") -> None:
        """Refuse the plan when it needs more than `available` bytes (None: unknown, never refused)."""
        if available is None or self.total <= available:
            return
        raise OutOfMemory(
            f"{self.what} needs about {gib(self.total)} of {where} ({self.describe()}) and {gib(available)} is "
            f"available; lower {self.lower}"
        )


def gib(n: int | float) -> str:
    return f"{n / GIB:.1f} GiB" if n >= GIB / 10 else f"{n / 2**20:.0f} MiB"


def available_memory() -> int | None:
    """Bytes of RAM this process may still take: MemAvailable, or less under a cgroup limit; None where unknown."""
    free = _meminfo_available()
    room = _cgroup_room()
    if free is None:
        return room
    return free if room is None else min(free, room)


def room(free: int | None) -> int | None:
    """What a plan may take of `free` bytes: never the last of it (defaults.MEMORY_HEADROOM)."""
    return None if free is None else int(free * defaults.MEMORY_HEADROOM)


def gpu_free(device: torch.device) -> int | None:
    """Free bytes on a CUDA device (None elsewhere)."""
    import torch

    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    try:
        return int(torch.cuda.mem_get_info(device)[0])
    except (RuntimeError, AssertionError):
        return None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room(root: Path = Path("/sys/fs/cgroup"), own: Path = Path("/proc/self/cgroup")) -> int | None:
    """Bytes left under this process's cgroup memory limit (reclaimable file cache counted as free), or None."""
    try:
        lines = own.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2
            files = ("memory.max", "memory.current")
            base = root
        elif "memory" in controllers.split(","):  # v1
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
            base = root / "memory"
        else:
            continue
        for d in (base / path.lstrip("/"), base):  # the cgroup's folder, or the container's own root
            room = _room(d, *files)
            if room is not None:
                return room
    return None


def _room(d: Path, limit_file: str, usage_file: str) -> int | None:
    try:
        raw = (d / limit_file).read_text().strip()
        if raw == "max" or int(raw) >= UNLIMITED:
            return None
        usage = int((d / usage_file).read_text().strip())
    except (OSError, ValueError):
        return None
    cache = 0
    try:
        for line in (d / "memory.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key in ("inactive_file", "total_inactive_file"):
                cache = max(cache, int(value))
    except (OSError, ValueError):
        pass
    return max(0, int(raw) - usage + cache)
