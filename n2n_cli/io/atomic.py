"""The one write path: every file n2n writes (images, checkpoints, metrics, tensor files, ONNX, manifests) goes
through `atomic_write`. The bytes go to a temp file in the target's folder, are flushed to the disk (fsync), and the
temp file is renamed over the target, so a crash or a full disk never leaves half a file nor harms the file that was
there. A disk that refuses the write (read-only, full, over quota, no permission) is one WriteError line naming the
file, never a traceback.

Whether a file that is there may be replaced is decided at the moment of the rename, by the write's `rule`
(outputs.py): a target that does not exist is created by linking the temp file to its name, which fails, never
replaces, when a file appeared there since (a user's file saved while an image was denoised); one that exists is
replaced only once the rule has checked it, just before the rename. Without a rule the target is replaced (n2n's
own bookkeeping files)."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable, Protocol

from ..errors import UserError
from ..flags import flag

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


NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


class WriteError(UserError):
    """A file that could not be written; the file that was there before (if any) is unchanged."""


class Rule(Protocol):
    """What a write may replace (outputs.py), asked at the moment of the write."""

    def check(self, path: Path) -> None:
        """Raise a UserError (naming `path`) when the file there now may not be replaced."""

    def staged(self, path: Path, tmp: Path) -> None:
        """`tmp` holds what `path` is about to hold (written and flushed): record it before it takes the name."""

    def placed(self, path: Path) -> None:
        """`path` now holds what was written."""


class NewOnly:
    """The rule of an output that must not exist (checked when the command started, without --overwrite): a file
    that appeared there since is kept, and the write refused."""

    def check(self, path: Path) -> None:
        raise UserError(
            f"{path}: a file appeared there while n2n ran; it is kept (pass {flag('overwrite')} to replace it)"
        )

    def staged(self, path: Path, tmp: Path) -> None:
        pass

    def placed(self, path: Path) -> None:
        pass


def replacing(overwrite: bool) -> Rule | None:
    """The rule of a single output checked at the start: replace anything with `overwrite`, else create it only."""
    return None if overwrite else NewOnly()


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object], rule: Rule | None = None) -> None:
    """Call `write(f)` on a temp file in `path`'s folder (created as a plain open() would, the umask applied), flush
    it to the disk, then give it `path`'s name: a file there is replaced only as `rule` allows, checked at that moment
    (without a rule: replaced). Raises WriteError, naming `path`, when the disk refuses."""
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
            if rule is None:
                os.replace(tmp, path)
            else:
                rule.staged(path, tmp)
                _place(tmp, path, rule)
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


def _place(tmp: Path, path: Path, rule: Rule) -> None:
    """Give the written temp file `path`'s name: a file there is replaced once `rule` allowed it; where there is none,
    a hard link creates the name, which fails rather than replace a file that appeared in between."""
    while True:
        if os.path.lexists(path):
            rule.check(path)
            os.replace(tmp, path)
            break
        try:
            os.link(tmp, path)
        except FileExistsError:
            continue  # it appeared since the look: the rule is asked about it
        except OSError as e:
            if e.errno not in NO_HARD_LINKS:
                raise
            os.replace(tmp, path)  # a file system without hard links: the look just made stands
            break
        tmp.unlink()
        break
    rule.placed(path)


def atomic_write_bytes(path: str | Path, data: bytes, rule: Rule | None = None) -> None:
    atomic_write(path, lambda f: f.write(data), rule)


def atomic_save(obj: Any, path: str | Path, rule: Rule | None = None) -> None:
    """torch.save through atomic_write."""
    import torch

    atomic_write(path, lambda f: torch.save(obj, f), rule)


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
    return f"{_temp_prefix(name)}{secrets.token_hex(4)}.tmp"


def _temp_prefix(name: str) -> str:
    return f".n2n-{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}-"


def remove_stale_temps(folder: Path, names: set[str]) -> None:
    """Remove the temp files that a run killed while writing one of `names` in `folder` left there (the caller
    holds the lock that makes it the only writer of those names)."""
    prefixes = {_temp_prefix(n) for n in names}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if e.name.endswith(".tmp") and e.name[: len(".n2n-") + 11] in prefixes:
            try:
                os.unlink(e.path)
            except OSError:
                pass


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
