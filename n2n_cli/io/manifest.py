"""Which files n2n wrote, file by file, with their size and SHA-256: a manifest file beside them (a folder's
`.n2n-output` for denoised images, `.NAME.n2n-output` beside a checkpoint NAME for its run's files). n2n owns a file,
and may replace it, only while a manifest lists it with the bytes it holds now; a training run's files carry the run's
id, so that another run's are not its own. What the manifest trusts: anything it lists, so a manifest written by hand
to list a user's file gives that file to n2n (docs/denoise.md).

Format 2, JSON lines: a first line {"written_by": "n2n", "format": 2, "about": ..., "files": {NAME: [VERSION, ...]}},
then one line per file written since, {"name": NAME, "size": BYTES, "sha256": HEX[, "run": ID]} (a VERSION is the
same without the name). Each line is appended, and flushed to the disk, before the file it lists takes its name: a run
killed at any moment (kill -9 included) has listed every file it wrote, and its rerun replaces them. A torn last line
(a kill while appending) is ignored. The file is rewritten whole (atomically), the lines folded into the first, when a
run starts writing and when it ends. Format 1 (n2n 0.4 to 0.7: one JSON object, one version per file) is read too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from .atomic import WriteError, atomic_write_bytes, os_error, write_failure
from .regular import not_regular, open_regular

FORMAT = 2
MAX_BYTES = 2**28  # a larger manifest is not n2n's (a million files take about 150 MB): it owns nothing


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def _version(v: Any) -> dict[str, Any] | None:
    """A listed version as n2n wrote it, or None for anything else (a forged or damaged entry lists nothing)."""
    if not (isinstance(v, dict) and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)):
        return None
    run = v.get("run")
    return {"size": v["size"], "sha256": v["sha256"], **({"run": run} if isinstance(run, str) else {})}


@dataclass
class Manifest:
    path: Path  # the manifest file
    about: str = ""  # what its first line says to a person who opens it
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # name -> versions n2n wrote
    appending: bool = False  # this process folded the file and appends to it

    @property
    def folder(self) -> Path:
        return self.path.parent

    @classmethod
    def read(cls, path: Path, about: str = "") -> Manifest:
        """The manifest at `path`; empty when there is none, or when it is unreadable, too large or not n2n's. A
        FIFO or another special file there is refused in one line (reading it would block)."""
        m = cls(path, about)
        try:
            with open_regular(path) as f:
                raw = f.read(MAX_BYTES + 1)
        except OSError:
            return m
        except UserError:
            why = not_regular(path) or "not a regular file"
            raise UserError(f"{path}: {why} where n2n keeps its manifest; remove it") from None
        if len(raw) > MAX_BYTES:
            return m
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return m
        for name, v in _entries(text):
            version = _version(v)
            if version is not None and version not in m.files.setdefault(name, []):
                m.files[name].append(version)
        m.files = {k: v for k, v in m.files.items() if v}
        return m

    def listed(self, path: Path) -> bool:
        return path.name in self.files

    def listed_runs(self, path: Path) -> set[str | None]:
        """The runs (None: a denoise) whose versions of `path` are listed."""
        return {v.get("run") for v in self.files.get(path.name, [])}

    def owns(self, path: Path, run: str | None = None) -> bool:
        """True when `path` (a file in this folder) holds what n2n wrote there, for `run` (None: a denoise; it owns
        no training run's file, and the reverse)."""
        versions = [v for v in self.files.get(path.name, []) if v.get("run") == run]
        if not versions or path.is_symlink() or not path.is_file():
            return False
        try:
            size = path.stat().st_size
            if not any(v["size"] == size for v in versions):
                return False
            digest = file_sha256(path)
        except (OSError, ValueError):
            return False
        return any(v["size"] == size and v["sha256"] == digest for v in versions)

    def add(self, name: str, size: int, sha256: str, run: str | None = None) -> dict[str, Any]:
        """List a file about to be written under `name` (its bytes already on the disk under a temp name): on the disk
        before the caller gives it the name. Returns the version listed."""
        version = {"size": size, "sha256": sha256, **({"run": run} if run is not None else {})}
        if version in self.files.get(name, []):
            return version
        self.files.setdefault(name, []).append(version)
        if not self.appending:
            self.fold(pending=name)  # this run's lines go after a first line in format 2
            self.appending = True
            return version
        self._append({"name": name, **version})
        return version

    def forget(self, name: str, version: dict[str, Any]) -> None:
        """Take back a version listed for a write that was refused (its line stays on the disk until the next fold:
        it can only own a file holding exactly those bytes)."""
        versions = [v for v in self.files.get(name, []) if v != version]
        if versions:
            self.files[name] = versions
        else:
            self.files.pop(name, None)

    def fold(self, pending: str | None = None) -> None:
        """Rewrite the manifest whole (atomically): one version per file, but where several could be what it holds (a
        run killed between listing a file and naming it); files gone are dropped, but `pending` (about to be named)."""
        kept: dict[str, list[dict[str, Any]]] = {}
        for name, versions in sorted(self.files.items()):
            try:
                size = os.stat(self.folder / name).st_size
            except OSError:
                if name == pending:
                    kept[name] = versions
                continue
            same = [v for v in versions if v["size"] == size or name == pending]
            kept[name] = same or versions[-1:]  # none: edited since, still named as n2n's in the refusal
        self.files = kept
        head = {"written_by": "n2n", "format": FORMAT, "about": self.about, "files": kept}
        atomic_write_bytes(self.path, (json.dumps(head, separators=(",", ":")) + "\n").encode())

    def _append(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0))
        except OSError as e:
            raise WriteError(write_failure(self.path, os_error(e) or e)) from None
        try:
            os.write(fd, data)  # one write of a short line: appended whole, or torn only by a crash
            os.fsync(fd)
        except OSError as e:
            raise WriteError(write_failure(self.path, e)) from None
        finally:
            os.close(fd)


def _entries(text: str) -> list[tuple[str, Any]]:
    """(name, version) pairs of a manifest's text, in the order written: format 1 (one JSON object) or 2 (lines)."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    lines = [whole] if whole is not None else []
    if whole is None:
        for line in text.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a kill
    if not lines or not isinstance(lines[0], dict) or lines[0].get("written_by") != "n2n":
        return []
    out: list[tuple[str, Any]] = []
    files = lines[0].get("files")
    if isinstance(files, dict):
        for name, v in files.items():
            out += [(name, x) for x in (v if isinstance(v, list) else [v])]
    for line in lines[1:]:
        if isinstance(line, dict) and isinstance(line.get("name"), str):
            out.append((line["name"], line))
    return out
