"""Output locks: two n2n runs never write the same output folder (or checkpoint) at once. A run creates a lock file
there (O_EXCL: only one creator wins) holding its process id, host and start time, and removes it when it ends. A
second run finds the lock and refuses in one line; a lock left by a process that no longer runs on this host (a
killed run) is taken over, and the run says so."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .atomic import WriteError, os_error, write_failure
from .paths import fit_name
from .regular import not_regular, open_regular

FOLDER_LOCK = ".n2n-lock"  # in an output folder, while a run writes into it
UNREADABLE_GRACE_S = 10.0  # a lock file still empty after this long was left by a run killed while creating it


class Busy(UserError):
    """Another run holds the lock."""


@dataclass(frozen=True, order=True)
class Lock:
    path: Path  # the lock file
    target: Path  # what it guards, named in messages


def folder_lock(folder: str | Path) -> Lock:
    """The lock of an output folder: a hidden file in it."""
    return Lock(Path(folder) / FOLDER_LOCK, Path(folder))


def file_lock(path: str | Path) -> Lock:
    """The lock of one output file (a checkpoint): a hidden file beside it."""
    path = Path(path)
    return Lock(path.parent / fit_name(f".{path.name}.n2n-lock"), path)


@contextmanager
def output_locks(locks: Sequence[Lock], on_note: Callable[[str], None] = lambda m: None) -> Iterator[None]:
    """Hold every lock of `locks` (in sorted order, so two runs never wait on each other crosswise) for the block;
    folders created for them and left empty are removed again, so a run that wrote nothing leaves nothing."""
    held: list[tuple[Path, list[Path]]] = []
    try:
        for lock in sorted(set(locks)):
            held.append((lock.path, _acquire(lock, on_note)))
        yield
    finally:
        for path, created in reversed(held):
            path.unlink(missing_ok=True)
            for d in created:  # deepest first
                try:
                    d.rmdir()
                except OSError:
                    break


def _acquire(guard: Lock, on_note: Callable[[str], None]) -> list[Path]:
    """Create the lock file (and its folder); returns the folders created for it."""
    lock = guard.path
    created = [p for p in [lock.parent, *lock.parent.parents] if not p.exists()]
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                _take_over_if_stale(guard, on_note)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}, f)
            return created
    except OSError as e:
        raise WriteError(write_failure(guard.target, os_error(e) or e)) from None
    raise Busy(_busy(guard, "another n2n run keeps taking the lock"))


def _read(lock: Path) -> dict | None:
    """The lock's owner, or None when it cannot be read; a lock that is not a regular file (a FIFO would block the
    run) is refused in one line."""
    try:
        with open_regular(lock) as f:
            owner = json.loads(f.read(2**16).decode("utf-8"))
        return owner if isinstance(owner, dict) and isinstance(owner.get("pid"), int) else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    except UserError:
        why = not_regular(lock) or "not a regular file"
        raise UserError(f"{lock}: {why} where n2n keeps its lock file; remove it") from None


def _take_over_if_stale(guard: Lock, on_note: Callable[[str], None]) -> None:
    """Remove the lock file when its run is gone (raising Busy when it runs), so that the caller can create it
    again."""
    lock = guard.path
    owner = _read(lock)
    here = socket.gethostname()
    if owner is None:
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return  # removed meanwhile: try again
        if age < UNREADABLE_GRACE_S:
            raise Busy(_busy(guard, "another n2n run is starting to write here"))
        reason = "an unreadable lock"
    elif owner.get("host") != here or _alive(owner["pid"]):
        host = f" on {owner.get('host')}" if owner.get("host") != here else ""
        raise Busy(_busy(guard, f"another n2n run (process {owner['pid']}{host}{_since(owner)}) is writing here"))
    else:
        reason = f"a lock left by process {owner['pid']}, which no longer runs"
    aside = lock.with_name(fit_name(f"{lock.name}.stale-{os.getpid()}"))
    try:
        os.replace(lock, aside)
    except FileNotFoundError:
        return  # another run took it over first
    if _read(aside) != owner:  # another run replaced the stale lock with its own between our read and rename
        try:
            os.link(aside, lock)
        except OSError:
            pass
        aside.unlink(missing_ok=True)
        raise Busy(_busy(guard, "another n2n run is writing here"))
    aside.unlink(missing_ok=True)
    on_note(f"{guard.target}: took over {reason} ({lock.name})")


def _since(owner: dict) -> str:
    try:
        return time.strftime(", since %Y-%m-%d %H:%M:%S", time.localtime(float(owner["started"])))
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return ""


def _busy(guard: Lock, what: str) -> str:
    return f"{guard.target}: {what}; wait for it to end, or remove {guard.path} if no n2n run is going on"


def _alive(pid: int) -> bool:
    """True when process `pid` runs on this host (or cannot be checked: Windows, whose os.kill would end it)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return pid > 0
