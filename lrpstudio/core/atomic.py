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
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``target`` atomically."""
    return atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
