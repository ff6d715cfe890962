"""What defines a run, recorded in every checkpoint so that `resume` continues the same run: a cheap fingerprint of
its data, and the options its weights, optimizer and schedule depend on. Resuming compares them with the command's
and refuses a difference in one line naming it (`force` continues, saying what differs).

- a tensor file: its size, shapes and dtype, and the SHA-256 of 16 blocks of 64 KiB spread over it;
- image folders: the sorted names (relative to DATA, or to TARGET) with each file's size and frame count, hashed;
  and apart, the SHA-256 of a fixed sample of each file's bytes (FILE_BLOCKS blocks of FILE_BLOCK bytes), so that
  other captures under the same names and sizes are told apart (records of n2n 0.7 and older lack it: not compared);
- the options: architecture and its arguments, global batch, learning rate, schedule, crop size (image folders),
  noise recipe and its shares, seed, channels, single, augmentation. Not the epochs (resuming runs to a new total),
  nor what only changes speed (device, processes, workers, mmap, compile, bf16).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from ..data import TrainSource
from ..data.patches import PatchSource
from ..data.tensor_pairs import TensorPairs
from ..errors import UserError
from ..flags import flag
from ..models import Net
from .config import TrainConfig

BLOCKS, BLOCK = 16, 2**16  # bytes of a tensor file hashed: BLOCKS blocks of BLOCK bytes, spread evenly
FILE_BLOCKS, FILE_BLOCK = 4, 2**12  # bytes of each image file hashed, spread evenly: a few reads per file


def fingerprint(cfg: TrainConfig, source: TrainSource, model: Net, batch: int, lr: float) -> dict[str, Any]:
    """The record a checkpoint keeps: {"data": ..., "options": ...} (plain values)."""
    options: dict[str, Any] = {
        "arch": model.arch,
        "model_kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in model.kwargs.items()},
        "batch_size": batch,
        "lr": lr,
        "schedule": cfg.schedule,
        "noise": str(cfg.noise) if cfg.noise is not None else None,
        "clean_share": cfg.clean_share,
        "gray_share": cfg.gray_share,
        "jpeg_share": cfg.jpeg_share,
        "dark_share": cfg.dark_share,
        "zoom_share": cfg.zoom_share,
        "balance": cfg.balance,
        "seed": cfg.seed,
        "channels": source.channels,
        "single": cfg.single,
        "augment": cfg.augment,
    }
    if isinstance(source, PatchSource):
        options["patch_size"] = cfg.patch_size
    return {"data": data_fingerprint(cfg, source), "options": options}


def data_fingerprint(cfg: TrainConfig, source: TrainSource) -> dict[str, Any] | None:
    if isinstance(source, TensorPairs) and Path(cfg.data).is_file():
        path = Path(cfg.data)
        return {
            "kind": "tensor file",
            "bytes": path.stat().st_size,
            "shapes": [list(t.shape) for t in source.tensors],
            "dtype": str(source.tensors[0].dtype),
            "sample_sha256": _sample_hash(path),
        }
    if isinstance(source, PatchSource):
        roots = [Path(cfg.data)] + ([Path(cfg.target)] if cfg.target else [])
        frames: dict[Path, int] = {}
        for group in source.patches.groups:
            for path, frame in group:
                frames[path] = max(frames.get(path, 0), frame + 1)
        lines = sorted(f"{_relative(p, roots)}\t{_size(p)}\t{n}" for p, n in frames.items())
        content = sorted(f"{_relative(p, roots)}\t{_sample_hash(p, FILE_BLOCKS, FILE_BLOCK)}" for p in frames)
        return {
            "kind": "image files",
            "files": len(lines),
            "frames": sum(frames.values()),
            "sha256": hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest(),
            "content_sha256": hashlib.sha256("\n".join(content).encode("utf-8", "surrogateescape")).hexdigest(),
        }
    return None  # tensors given in memory (the course API): nothing to compare


def _recorded_options(recorded: dict[str, Any]) -> dict[str, Any]:
    """A record's options, with the options it predates at their defaults (what its run used)."""
    known = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    was = recorded.get("options", {})
    return {**{k: known[k] for k in _LATER_OPTIONS if k not in was}, **was}


_LATER_OPTIONS = ("balance", "zoom_share")  # options added after run records began; older records lack them


def differences(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between a checkpoint's record and the current run's, one phrase each, options by their flags."""
    out = []
    was, new = _recorded_options(recorded), now["options"]
    for key in sorted(set(was) | set(new)):
        a, b = was.get(key), new.get(key)
        if a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9)):
            continue
        name = "the architecture's arguments" if key == "model_kwargs" else flag(key)
        out.append(f"{name} {_show(a)} -> {_show(b)}")
    da, db = recorded.get("data"), now["data"]
    if da is not None and db is not None and not same_data(da, db):
        out.append(f"the data ({flag('data')}): {_describe(da)} -> {_describe(db)}")
    return out


def data_changed(recorded: dict[str, Any], now: dict[str, Any]) -> bool:
    """True when the data or the noise recipe differ: earlier losses then say nothing about this run's."""
    keys = (
        "noise",
        "clean_share",
        "gray_share",
        "jpeg_share",
        "dark_share",
        "zoom_share",
        "balance",
        "single",
        "patch_size",
    )
    was, new = _recorded_options(recorded), now["options"]
    return not same_data(recorded.get("data"), now["data"]) or any(was.get(k) != new.get(k) for k in keys)


def same_data(a: Any, b: Any) -> bool:
    """Whether two data records describe the same data, on what both record (an older record lacks the newer
    keys: the content sample of image files)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return bool(a == b)
    shared = set(a) & set(b)
    return {k: a[k] for k in shared} == {k: b[k] for k in shared}


def _describe(d: dict[str, Any]) -> str:
    try:
        return _what(d)
    except (KeyError, TypeError, ValueError, AttributeError):  # a record written otherwise (or tampered with)
        return "other data"


def _what(d: dict[str, Any]) -> str:
    if d.get("kind") == "tensor file":
        shapes = " and ".join("x".join(map(str, s)) for s in d["shapes"])
        return f"a {d['bytes']:,}-byte tensor file of {shapes} {d['dtype'].replace('torch.', '')}"
    if d.get("kind") == "image files":
        content = f", content hash {d['content_sha256'][:8]}" if "content_sha256" in d else ""
        return f"{d['files']} image files ({d['frames']} frames, names and sizes hash {d['sha256'][:8]}{content})"
    return "other data"


def _show(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _relative(path: Path, roots: list[Path]) -> str:
    for k, root in enumerate(roots):
        try:
            return ("target/" if k else "") + path.relative_to(root).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _sample_hash(path: Path, blocks: int = BLOCKS, block: int = BLOCK) -> str:
    """SHA-256 of `blocks` blocks of `block` bytes spread evenly over the file (the whole file when smaller)."""
    size = path.stat().st_size
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size <= blocks * block:
            h.update(f.read())
        else:
            for k in range(blocks):
                f.seek(k * (size - block) // (blocks - 1))
                h.update(f.read(block))
    return h.hexdigest()


def check_resume(cfg: TrainConfig, ckpt: dict[str, Any], now: dict[str, Any], note: Callable[[str], None]) -> bool:
    """Refuse to resume a run on other data or options (unless `force`, which says what differs, through `note`);
    a checkpoint without a record (n2n 0.2) resumes with a note. True when the data and recipe are the
    checkpoint's."""
    recorded = ckpt.get("run")
    if not (
        isinstance(recorded, dict)
        and isinstance(recorded.get("options"), dict)
        and isinstance(recorded.get("data"), (dict, type(None)))
    ):
        note(
            f"{cfg.resume}: written by an older n2n, it records no fingerprint of its data and options; "
            "they are not checked"
        )
        return True
    diffs = differences(recorded, now)
    if diffs and not cfg.force:
        raise UserError(
            f"{cfg.resume}: this command differs from the run it resumes: {'; '.join(diffs)}; repeat that "
            f"run's options, or pass {flag('force')} to continue with these"
        )
    if diffs:
        note(f"{cfg.resume}: resuming with {flag('force')} although {'; '.join(diffs)}")
    return not data_changed(recorded, now)
