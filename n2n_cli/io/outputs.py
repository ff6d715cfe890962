"""The one rule for every file n2n writes where a file of the user's could be: denoised images, and a checkpoint with
the files beside it (metrics, curve, best epoch, kept epochs). A file there is replaced only

- with `overwrite`;
- when a manifest (manifest.py) lists it as n2n's and it is unchanged since: for denoised images a file any denoise
  wrote; for a training run's files, one that run wrote (its id is in the checkpoint, and a resumed run keeps it);
- or when the command was given it to replace (`allow`: the checkpoint `--resume` continues), unchanged since.

It is checked when the run is planned (so a refusal comes before any work), and again at the moment of each write
(atomic.py): a file that appeared, or changed, in between is kept. Every file is listed in its manifest before it
takes its name, so an interrupted run, whatever stopped it, is rerun with nothing in its way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..flags import flag
from .atomic import remove_stale_temps
from .manifest import Manifest, file_sha256

Seen = tuple[int, int, int, int]  # (device, inode, size, mtime_ns) of a file as checked


def seen(path: Path) -> Seen | None:
    """What identifies a file's state cheaply, or None when there is no file."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class Outputs:
    """A run's outputs, by the rule above. `manifest_of`: where an output's manifest is; `run`: the training run's
    id (None for denoised images); `who` and `instead`: what the refusal calls the owner and suggests."""

    manifest_of: Callable[[Path], Path]
    overwrite: bool = False
    run: str | None = None
    who: str = "an earlier n2n denoise"
    instead: str = "choose an empty output folder"
    about: str = ""
    manifests: dict[Path, Manifest] = field(default_factory=dict)
    checked: dict[Path, Seen | None] = field(default_factory=dict)  # files found replaceable, as they were then
    staging: dict[Path, dict[str, Any]] = field(default_factory=dict)  # versions listed, not yet given their name

    def manifest(self, path: Path) -> Manifest:
        where = self.manifest_of(path)
        if where not in self.manifests:
            self.manifests[where] = Manifest.read(where, self.about)
        return self.manifests[where]

    def owns(self, path: Path) -> bool:
        """True when `path` is a file n2n wrote (for this run's kind and id), unchanged since."""
        return self.manifest(path).owns(path, self.run)

    def check(self, path: Path) -> None:
        """Refuse, naming it, a file at `path` this run may not replace; remember one it may, as it is now."""
        now = seen(path)
        staged = self.staging.pop(path, None)
        if now is None or (path in self.checked and self.checked[path] == now):
            return
        if not (self.overwrite or self.owns(path)):
            if staged is not None:  # the version listed for this write never takes the name
                self.manifest(path).forget(path.name, staged)
            raise UserError(self.refusal(path))
        self.checked[path] = now

    def allow(self, path: Path) -> None:
        """Let this run replace the file at `path` as it is now (the checkpoint it resumes), not once it changed."""
        self.checked[path] = seen(path)

    def refusal(self, path: Path) -> str:
        m = self.manifest(path)
        runs = m.listed_runs(path)
        if self.run in runs:
            return (
                f"{path}: n2n wrote it, but it has changed since (edited or replaced?); pass {flag('overwrite')} "
                "to replace it, or choose another output"
            )
        if runs and self.run is not None:
            return (
                f"{path}: written by another training run (listed in {m.path.name}); pass {flag('overwrite')} to "
                f"replace it, or {self.instead}"
            )
        return (
            f"{path}: exists and was not written by {self.who} (it is not listed in {m.path.name} there); "
            f"{self.instead}, or pass {flag('overwrite')} to replace it"
        )

    def begin(self, paths: Iterable[Path]) -> None:
        """Before the first write: remove what runs killed while writing these paths, or their manifests, left (temp
        files); the caller holds their locks."""
        by_folder: dict[Path, set[str]] = {}
        for p in paths:
            for q in (p, self.manifest_of(p)):
                by_folder.setdefault(q.parent, set()).add(q.name)
        for folder, names in by_folder.items():
            remove_stale_temps(folder, names)

    # the Rule that atomic_write asks at the moment of the write

    def staged(self, path: Path, tmp: Path) -> None:
        self.staging[path] = self.manifest(path).add(path.name, os.stat(tmp).st_size, file_sha256(tmp), self.run)

    def placed(self, path: Path) -> None:
        self.staging.pop(path, None)
        self.checked[path] = seen(path)

    def close(self) -> None:
        """Fold the manifests this run appended to (their lines into one), at the end of the run. A tidy-up only: the
        lines already list every file, so a disk that refuses it now (full, read-only) changes nothing."""
        for m in self.manifests.values():
            if m.appending:
                m.appending = False
                try:
                    m.fold()
                except UserError:
                    pass
