"""Which files of a folder are images."""

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
