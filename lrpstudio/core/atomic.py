"""Atomic file writes: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader (or a crash) never sees a half-written file: either the old content or the new.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


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
    """
    target = Path(target)
    # mkstemp creates the file 0600; keep the target's own mode, or the usual 0644,
    # so datasets and corrections stay readable by the rest of a lab group.
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``target`` atomically."""
    return atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
