"""What n2n wrote into a folder, file by file: the manifest in the folder's `.n2n-output` file.

n2n owns a file, and may replace it or skip it as an input, only while the manifest lists it with the size and
SHA-256 it had when n2n wrote it: a file of the user's (never listed), or an n2n output the user has since edited
(its size or hash differs), is the user's, and replacing it needs `overwrite`. A folder is never "n2n's": a folder
that holds both the user's images and n2n's outputs (`into_input_folder`) keeps the user's as they are, and reads
them as inputs. A marker from n2n 0.2 (plain text, no list) owns nothing.

The file is JSON: {"written_by": "n2n", "format": 1, "files": {NAME: {"size": BYTES, "sha256": HEX}}}.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..flags import flag
from ..io import atomic_write_bytes

MARKER = ".n2n-output"  # in every folder n2n denoises into
FORMAT = 1


def about() -> str:
    return (
        "Files n2n denoise wrote here, with their size and SHA-256. n2n replaces a listed file only while it is "
        f"unchanged, and does not read it again as an input; any other file is yours and needs {flag('overwrite')}."
    )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Manifest:
    folder: Path
    files: dict[str, dict[str, int | str]] = field(default_factory=dict)
    dirty: bool = False
    saved_at: float = 0.0

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The folder's manifest; empty when there is none, or when it is unreadable or an older marker."""
        m = cls(folder)
        try:
            data = json.loads((folder / MARKER).read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            return m
        files = data.get("files") if isinstance(data, dict) and data.get("written_by") == "n2n" else None
        if isinstance(files, dict):
            m.files = {
                k: v
                for k, v in files.items()
                if isinstance(v, dict) and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)
            }
        return m

    def owns(self, path: Path) -> bool:
        """True when `path` (a file in this folder) is what n2n wrote there, unchanged."""
        entry = self.files.get(path.name)
        if entry is None or path.is_symlink() or not path.is_file():
            return False
        try:
            return path.stat().st_size == entry["size"] and file_sha256(path) == entry["sha256"]
        except OSError:
            return False

    def listed(self, path: Path) -> bool:
        return path.name in self.files

    def record(self, path: Path) -> None:
        """List `path` as n2n's, as it is now (just written)."""
        self.files[path.name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
        self.dirty = True

    def save(self, every_s: float = 0.0) -> None:
        """Write the manifest (atomically) when it changed, at most every `every_s` seconds; entries whose file is
        gone are dropped."""
        if not self.dirty or time.monotonic() - self.saved_at < every_s:
            return
        self.files = {k: v for k, v in self.files.items() if (self.folder / k).is_file()}
        data = {"written_by": "n2n", "format": FORMAT, "about": about(), "files": dict(sorted(self.files.items()))}
        atomic_write_bytes(self.folder / MARKER, (json.dumps(data, indent=1) + "\n").encode())
        self.dirty, self.saved_at = False, time.monotonic()
