"""Which files of a folder are images."""

from __future__ import annotations

import os
from pathlib import Path

from .. import defaults
from ..errors import UserError
from .atomic import REASONS


def list_images(folder: Path, recursive: bool = False, unreadable: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Image files in `folder` (by suffix; hidden files skipped), sorted. With `recursive`, each sub-folder that cannot
    be listed (no permission, a path too long) is added to `unreadable` as (folder, why); `folder` itself unreadable
    is one UserError line."""
    found: list[Path] = []

    def failed(e: OSError) -> None:
        where = Path(e.filename) if e.filename is not None else folder
        why = REASONS.get(e.errno or 0) or " ".join((e.strerror or type(e).__name__).split())
        if where == folder:
            raise UserError(f"{folder}: cannot read the folder ({why})")
        if unreadable is not None:
            unreadable.append((where, why))

    for top, _, names in os.walk(folder, onerror=failed):
        found += [Path(top) / n for n in names]
        if not recursive:
            break
    return sorted(
        p for p in found if p.suffix.lower() in defaults.IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )
