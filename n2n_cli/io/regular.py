"""Special files never block: opening a FIFO waits for a writer (forever, if none comes), and a device or a socket is
no image, checkpoint, manifest or lock. Every file n2n opens to read is opened here, without blocking, and refused in
one line naming it when it is not a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ..errors import UserError

KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def kind(mode: int) -> str | None:
    """What a file of this mode is, in words, when it is not a regular file; None for a regular file."""
    return next((what for test, what in KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def not_regular(path: str | Path) -> str | None:
    """Why `path` (followed through symlinks) cannot be read as a file: None when it is a regular file or does not
    exist (the caller says what a missing file means)."""
    try:
        return kind(os.stat(path).st_mode)
    except OSError:
        return None


def check_regular(path: str | Path, error: type[UserError] = UserError, what: str = "file") -> None:
    """Refuse, in one line naming it, a `path` that exists but is not a regular file."""
    why = not_regular(path)
    if why is not None:
        raise error(f"{path}: {why}, not a regular {what}; n2n reads regular files only")


def open_regular(path: str | Path, error: type[UserError] = UserError, what: str = "file") -> BinaryIO:
    """Open `path` for reading without ever blocking (O_NONBLOCK: a FIFO opens at once), and refuse what is not a
    regular file. Missing files and other OSErrors are raised as they are."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        why = kind(os.fstat(fd).st_mode)
        if why is not None:
            raise error(f"{path}: {why}, not a regular {what}; n2n reads regular files only")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
