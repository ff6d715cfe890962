"""What the benchmarks (and the experiments) share: where the repository and its data are, what machine a run is on,
and how a run's results are kept: a JSON file in benchmarks/results/ that `python -m tools.docs` renders into
docs/results.md, so no number is pasted by hand."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

from n2n_cli.io import atomic_write_bytes

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"  # the benchmark data root, git-ignored (docs/benchmarks.md says what goes in it)
RESULTS = REPO / "benchmarks" / "results"  # committed result files, rendered into docs/results.md


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> dict[str, Any]:
    """The machine and software a run measured, for the header of its table and its result file."""
    import torch

    import n2n_cli

    try:
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = None
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "n2n": n2n_cli.__version__,
        "python": platform.python_version(),
        "gpu": gpu,
        "load_average": load,
    }


def describe(info: dict[str, Any]) -> str:
    """One line naming the machine of a run."""
    gpu = f"; GPU {info['gpu']}" if info.get("gpu") else ""
    load = f"; load average at start {info['load_average']}" if info.get("load_average") else ""
    return (
        f"CPU: {info['cpu']} ({info['logical_cpus']} logical CPUs); torch {info['torch']} with "
        f"{info['torch_threads']} threads; n2n {info.get('n2n', '?')}; Python {info['python']}{gpu}{load}"
    )


def command(script: str, argv: list[str] | None = None) -> str:
    """The command line that ran a benchmark, as someone reruns it from the repository's root."""
    return shlex.join(["python", "-m", script, *(sys.argv[1:] if argv is None else argv)])


def write_results(
    path: Path,
    kind: str,
    title: str,
    cmd: str,
    info: dict[str, Any],
    rows: list[dict[str, Any]],
    notes: list[str],
    **extra: Any,
) -> Path:
    """A run's results as JSON: what ran (`kind`, `title`, the command), when, on what machine, its rows and notes."""
    doc = {
        "kind": kind,
        "title": title,
        "command": cmd,
        "date": datetime.date.today().isoformat(),
        "machine": info,
        "rows": rows,
        "notes": notes,
        **extra,
    }
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode())
    return path


def markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def have(module: str) -> bool:
    """Whether `module` imports; importing it here also keeps import time out of the first timed call."""
    try:
        __import__(module)
        return True
    except ImportError:
        return False
