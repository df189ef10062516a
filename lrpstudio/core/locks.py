"""An exclusive lock between processes, on a lock file (``flock`` on POSIX).

Used where two processes (two windows, a window and a CLI run) may write the same
thing at once: the same case's correction, the same prepared dataset. The lock file
is left in place (deleting it would race with a process about to lock it); the
operating system releases the lock when its holder exits, even when killed.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from lrpstudio.core.errors import storage_error

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no such module on Windows: the functions test for None


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    import msvcrt  # pragma: no cover - Windows

    while True:  # pragma: no cover - msvcrt's blocking mode gives up after 10 s
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            return
        except OSError:
            time.sleep(0.1)


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    import msvcrt  # pragma: no cover - Windows

    os.lseek(fd, 0, os.SEEK_SET)  # pragma: no cover
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # pragma: no cover


@contextmanager
def file_lock(path: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` (created when missing) for the ``with`` block.

    Raises
    ------
    StorageError
        The lock file cannot be created (full disk, no permission, read-only).
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    except OSError as error:
        raise storage_error(error, path) from error
    try:
        _lock(fd)
        try:
            yield path
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
