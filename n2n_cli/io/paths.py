"""Output paths of single files (checkpoints, tensor files, pictures): never over an input of the run, never over a
file the user did not mean to replace. (Denoised image folders have their own plan: inference/plan.py.)"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from .. import defaults
from ..errors import UserError
from ..flags import flag as flag_of

NAME_MAX = 255  # bytes in one file name, on the usual file systems (ext4, APFS, NTFS counts characters: fewer bytes)
PATH_MAX = 4096  # bytes in a whole path (Linux), where the file system does not say (os.pathconf)


def fit_name(name: str, limit: int = NAME_MAX, keep: str | None = None) -> str:
    """`name`, or when it is longer than `limit` bytes (UTF-8) a shorter one that keeps its suffix (`keep`, or what
    follows its last dot) and its start, with a hash of the whole name added so that two long names stay apart: for
    names n2n derives (an output's name from a 255-byte input name with a suffix added, a checkpoint's metrics
    file)."""
    raw = os.fsencode(name)
    if len(raw) <= limit:
        return name
    if keep is None or not name.endswith(keep):
        stem, dot, last = name.rpartition(".")
        keep = f".{last}" if dot and stem and len(os.fsencode(last)) <= 16 else ""
    stem = name[: len(name) - len(keep)]
    tail = f"~{hashlib.sha1(raw).hexdigest()[:8]}{keep}"
    cut = os.fsencode(stem)[: limit - len(os.fsencode(tail))].decode("utf-8", "ignore")  # never half a character
    return cut + tail


def check_name(path: str | Path, what: str) -> None:
    """Refuse, in one line and before any work, a path the file system cannot hold: a component over its name limit
    (255 bytes on most) or the whole path over its path limit (4096 bytes on Linux). `what` names the path (a flag,
    "an output"...)."""
    path = Path(path)
    name_max, path_max = _limits(path)
    for part in path.parts:
        n = len(os.fsencode(part))
        if n > name_max:
            raise UserError(
                f"{path}: {what}: the name {_cut(part)} is {n} bytes, over the file system's limit of {name_max}; "
                "choose a shorter name"
            )
    n = len(os.fsencode(os.path.abspath(path)))
    if n >= path_max:
        raise UserError(
            f"{_cut(str(path), 120)}: {what}: the path is {n} bytes, over the system's limit of {path_max - 1}; "
            "choose a shorter path"
        )


def _limits(path: Path) -> tuple[int, int]:
    """(NAME_MAX, PATH_MAX) of the file system that holds `path`: asked of its nearest existing folder."""
    folder = Path(os.path.abspath(path)).parent
    for d in [folder, *folder.parents]:
        try:
            return os.pathconf(d, "PC_NAME_MAX"), os.pathconf(d, "PC_PATH_MAX")
        except (OSError, ValueError, AttributeError):  # missing, too long, or no pathconf (Windows)
            continue
    return NAME_MAX, PATH_MAX


def _cut(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else f"{text[: keep // 2]}...{text[-keep // 2 :]}"


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name one file (symlinks, `..`, hard links), or would once written (same resolved path)."""
    a, b = Path(a), Path(b)
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(
    path: str | Path, inputs: Sequence[str | Path | None], flag: str, overwrite: bool = False, may_replace: bool = False
) -> None:
    """Refuse, before any work, to write `path` over an input of the run (a file, or an image in an input folder:
    resolved paths, so symlinks and `..` name what they point to); an existing file is replaced only with
    `overwrite` or where the command documents it (`may_replace`). `flag` names the output in messages."""
    path = Path(path)
    check_name(path, flag)
    for p in inputs:
        if p is None:
            continue
        p = Path(p)
        if same_file(path, p):
            raise UserError(f"{path}: {flag} names an input of this run ({p}); choose another file")
        if path.suffix.lower() in defaults.IMAGE_FILE_SUFFIXES and p.is_dir() and p.resolve() in path.resolve().parents:
            raise UserError(
                f"{path}: {flag} lies in the input folder {p}, where it would replace or join the images "
                "this command reads; choose a path outside it"
            )
    if path.is_dir():
        raise UserError(f"{path}: {flag} names a folder; give a file name")
    if path.exists() and not (overwrite or may_replace):
        raise UserError(f"{path}: exists; pass {flag_of('overwrite')} to replace it, or choose another {flag}")
