"""Which files of a folder are images, and what a run leaves aside there (files of other kinds, sub-folders)."""

from __future__ import annotations

import os
from pathlib import Path

from .. import defaults
from ..errors import UserError
from .atomic import REASONS


def _walk(folder: Path, recursive: bool, unreadable: list[tuple[Path, str]] | None) -> tuple[list[Path], list[Path]]:
    """(files, sub-folders) below `folder` (only its own entries without `recursive`), hidden ones left out; each
    sub-folder that cannot be listed (no permission, a path too long) is added to `unreadable` as (folder, why), and
    `folder` itself unreadable is one UserError line."""
    files: list[Path] = []
    folders: list[Path] = []

    def failed(e: OSError) -> None:
        where = Path(e.filename) if e.filename is not None else folder
        why = REASONS.get(e.errno or 0) or " ".join((e.strerror or type(e).__name__).split())
        if where == folder:
            raise UserError(f"{folder}: cannot read the folder ({why})")
        if unreadable is not None:
            unreadable.append((where, why))

    for top, dirs, names in os.walk(folder, onerror=failed):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(top) / n for n in names if not n.startswith(".")]
        if not recursive:
            folders += [Path(top) / d for d in dirs]
            break
    return files, folders


def _is_image(p: Path) -> bool:
    """An image by its suffix: one n2n reads, or one it must say it cannot (camera raw, a codec Pillow lacks)."""
    return p.suffix.lower() in defaults.IMAGE_FILE_SUFFIXES


def list_images(folder: Path, recursive: bool = False, unreadable: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Image files in `folder` (by suffix; hidden files and folders skipped), sorted. With `recursive`, each
    sub-folder that cannot be listed (no permission, a path too long) is added to `unreadable` as (folder, why);
    `folder` itself unreadable is one UserError line."""
    files, _ = _walk(folder, recursive, unreadable)
    return sorted(p for p in files if _is_image(p) and p.is_file())


def list_others(folder: Path, recursive: bool = False) -> tuple[list[Path], list[Path]]:
    """What a listing of `folder` leaves aside (hidden entries aside, sorted): files that are not images by their
    suffix, and (not `recursive`) its sub-folders. Sub-folders that cannot be listed are list_images's to report."""
    files, folders = _walk(folder, recursive, None)
    return sorted(p for p in files if not _is_image(p) and p.is_file()), sorted(folders)
