"""The one write path: every file n2n writes (images, checkpoints, metrics, tensor files, ONNX, manifests) goes
through `atomic_write`. The bytes go to a temp file in the target's folder, are flushed to the disk (fsync), and the
temp file is renamed over the target, so a crash or a full disk never leaves half a file nor harms the file that was
there. A disk that refuses the write (read-only, full, over quota, no permission) is one WriteError line naming the
file, never a traceback."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable

from ..errors import UserError

# why a write failed, by errno: what the one-line error says
REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file is too large for the file system",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EIO: "input/output error on the device",
    errno.ENOENT: "the folder does not exist (removed during the run?)",
}


class WriteError(UserError):
    """A file that could not be written; the file that was there before (if any) is unchanged."""


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(f)` on a temp file in `path`'s folder (created as a plain open() would, the umask applied), flush
    it to the disk, then rename it to `path`. Raises WriteError, naming `path`, when the disk refuses."""
    path = Path(path)
    created = [d for d in [path.parent, *path.parent.parents] if not d.exists()]  # deepest first
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _open_temp(path.parent, path.name)
        try:
            with open(tmp, "wb") as f:  # opened by name: writers that ask f.name (tifffile) get a path, not a number
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_folder(path.parent)
    except BaseException as e:
        _remove_empty(created)  # a failed write leaves no folder behind either
        cause = os_error(e) if isinstance(e, Exception) else None
        if cause is None:
            raise
        raise WriteError(write_failure(path, cause)) from None


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save through atomic_write."""
    import torch

    atomic_write(path, lambda f: torch.save(obj, f))


def check_writable(folder: str | Path, target: str | Path | None = None) -> None:
    """Refuse now, not after an hour of work, a folder n2n cannot write into: create it if needed, then create and
    remove a probe file there. `target` (default: the folder) is the file named in the error."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _open_temp(folder, "probe").unlink()
    except OSError as e:
        raise WriteError(write_failure(Path(target or folder), e)) from None


def write_failure(path: Path, e: OSError) -> str:
    """The one line that says why `path` could not be written."""
    reason = REASONS.get(e.errno or 0) or " ".join((e.strerror or type(e).__name__).split())
    return f"{path}: cannot write it: {reason}"


def os_error(e: BaseException) -> OSError | None:
    """The OSError behind an exception: itself, or one it wraps (torch.save turns a failed write into a
    RuntimeError whose context is the OSError)."""
    seen = 0
    cur: BaseException | None = e
    while cur is not None and seen < 8:
        if isinstance(cur, OSError) and cur.errno is not None:
            return cur
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def temp_name(name: str) -> str:
    """A short hidden temp name (31 characters whatever the target's length, so a 255-byte target name works),
    unique per call; hidden and with no image suffix, so no listing of the folder takes it for an input."""
    return f".n2n-{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}-{secrets.token_hex(4)}.tmp"


def _open_temp(folder: Path, name: str) -> Path:
    """Create a new empty temp file in `folder` (never an existing one), mode 0o666 less the umask."""
    while True:
        tmp = folder / temp_name(name)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def _remove_empty(folders: list[Path]) -> None:
    for d in folders:
        try:
            d.rmdir()
        except OSError:
            return


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the system allows opening a folder (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
