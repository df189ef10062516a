"""What kind of thing a path is, checked before it is opened.

Opening a named pipe blocks for ever, a symbolic link loop or a folder named like a
volume raise raw ``OSError``s, and "does not exist" would misname all three. Each is
named here, in one line, from one ``stat`` call.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from lrpstudio.core.errors import VolumeReadError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _stat_problem(path: Path, error: OSError) -> str:
    """The one-line reason a ``stat`` failed."""
    if error.errno == errno.ELOOP:
        return "is not a regular file: a symbolic link loop"
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return "is a broken symbolic link (its target does not exist)"
        return "file does not exist"
    if error.errno == errno.ENAMETOOLONG:
        return "cannot be read: its name is too long for the file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    return f"cannot be read ({error.strerror or error})"


def regular_file_size(path: Path) -> int:
    """The size of ``path`` after checking that it is a regular file (links followed).

    Raises
    ------
    VolumeReadError
        Missing, a broken link or a link loop, a folder, a pipe or device, or unreadable.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise VolumeReadError(_stat_problem(path, error), path) from error
    except ValueError as error:  # e.g. a NUL byte in a name built from a header
        raise VolumeReadError(f"is not a valid file name ({error})", path) from error
    if stat.S_ISREG(info.st_mode):
        return info.st_size
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a plain file")
    raise VolumeReadError(f"is not a regular file: {kind}", path)
