"""Which files of a folder are images, and what a run leaves aside there (files of other kinds, sub-folders)."""

from __future__ import annotations

from pathlib import Path

from .. import defaults


def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """Image files in `folder` (by suffix; hidden files skipped), sorted."""
    pattern = "**/*" if recursive else "*"
    return sorted(
        p
        for p in folder.glob(pattern)
        if p.suffix.lower() in defaults.IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def list_others(folder: Path, recursive: bool = False) -> tuple[list[Path], list[Path]]:
    """What a listing of `folder` leaves aside (hidden entries aside, sorted): files that are not images by their
    suffix, and (not `recursive`) its sub-folders."""
    pattern = "**/*" if recursive else "*"
    files, folders = [], []
    for p in folder.glob(pattern):
        if any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        if p.is_dir():
            if not recursive:
                folders.append(p)
        elif p.suffix.lower() not in defaults.IMAGE_SUFFIXES and p.is_file():
            files.append(p)
    return sorted(files), sorted(folders)
