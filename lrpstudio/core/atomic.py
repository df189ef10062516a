"""Atomic file writes: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader (or a crash) never sees a half-written file: either the old content or the new.
A process killed mid-write leaves its temporary file behind; the next write of the same
target removes it (:func:`remove_stale_temporaries`). Temporary names carry the writer's
process id so that a live writer's file is never taken for a stale one, and are cut to fit
the file system's 255-byte name limit whenever the target's own name fits.

Every OS failure (disk full, name too long, permission, read-only) leaves as a
:class:`~lrpstudio.core.errors.StorageError` naming the target and what to do.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO, Callable

from lrpstudio.core.errors import storage_error

#: Longest file name (bytes) common file systems allow.
NAME_MAX = 255
_SUFFIX = ".tmp"
#: A temporary file without a readable process id is stale after this many seconds.
_ORPHAN_AGE_S = 3600.0


def temporary_prefix(name: str) -> str:
    """The start of every temporary name of target ``name``: ``.<name cut to fit>.``.

    The name is cut (on a UTF-8 character boundary) so that prefix, process id, random
    token and suffix stay within :data:`NAME_MAX` bytes.
    """
    room = NAME_MAX - len(".") - len(".") - 10 - len(".") - 8 - len(_SUFFIX)  # pid, token
    encoded = name.encode("utf-8")
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", errors="ignore")
    return f".{name}."


def _owner_alive(temp: Path, prefix: str) -> bool:
    """Whether the process that made ``temp`` may still be writing it (same machine)."""
    pid_text = temp.name[len(prefix):].split(".", 1)[0]
    if not pid_text.isdigit():  # made by an older version: judge by age
        try:
            return time.time() - temp.stat().st_mtime < _ORPHAN_AGE_S
        except OSError:
            return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # another thread of this process may be writing the same target
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_temporaries(target: str | Path) -> list[Path]:
    """Delete temporary files of ``target`` left by writers that were killed.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(target)
    prefix = temporary_prefix(target.name)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(_SUFFIX):
            temp = Path(entry.path)
            if not _owner_alive(temp, prefix):
                temp.unlink(missing_ok=True)
                removed.append(temp)
    return removed


def make_dirs(folder: str | Path) -> Path:
    """``mkdir -p`` whose OS failures are one-line :class:`StorageError`\\ s."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(error, error.filename or folder) from error
    return folder


def fsync_folder(folder: str | Path) -> None:
    """Make renames inside ``folder`` durable (a no-op where folders cannot be opened)."""
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


def atomic_write(target: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``target`` atomically; ``write`` receives a binary file handle.

    Parameters
    ----------
    target
        Final path. Its folder must exist.
    write
        Called once with an open binary handle on the temporary file.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    StorageError
        The folder cannot be written (full, read-only, no permission, name too long).
    """
    target = Path(target)
    remove_stale_temporaries(target)
    tmp = target.parent / f"{temporary_prefix(target.name)}{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
    try:
        # mkstemp-like: exclusive create, owner-only until the final mode is set.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as error:
        raise storage_error(error, target) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # Keep the target's own mode, or the usual 0644, so datasets and corrections stay
        # readable by the rest of a lab group.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise storage_error(error, target) from error
        raise
    return target


def atomic_write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``target`` atomically."""
    return atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
