"""Safe writes: atomic (a temp file beside the target, then rename, so a crash never leaves half a file), and never
over a file the user did not mean to replace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from . import defaults
from .errors import UserError


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write(f)` on a temp file in `path`'s folder, then rename it to `path` (created with the usual
    permissions, as a plain open() would)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, "wb") as f:  # opened by name: writers that ask f.name (tifffile) get a path, not a number
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name one file (symlinks, `..`, hard links), or would once written (same resolved path)."""
    a, b = Path(a), Path(b)
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(path: str | Path, inputs: list[str | Path | None], flag: str, overwrite: bool = False,
                 may_replace: bool = False) -> None:
    """Refuse, before any work, to write `path` over an input of the run (a file, or an image in an input folder:
    resolved paths, so symlinks and `..` name what they point to); an existing file is replaced only with
    `overwrite` or where the command documents it (`may_replace`)."""
    path = Path(path)
    for p in inputs:
        if p is None:
            continue
        p = Path(p)
        if same_file(path, p):
            raise UserError(f"{path}: {flag} names an input of this run ({p}); choose another file")
        if path.suffix.lower() in defaults.IMAGE_SUFFIXES and p.is_dir() and p.resolve() in path.resolve().parents:
            raise UserError(f"{path}: {flag} lies in the input folder {p}, where it would replace or join the images "
                            "this command reads; choose a path outside it")
    if path.is_dir():
        raise UserError(f"{path}: {flag} names a folder; give a file name")
    if path.exists() and not (overwrite or may_replace):
        raise UserError(f"{path}: exists; pass --overwrite to replace it, or choose another {flag}")
