"""Checks shared by the readers of a run folder's files (records, logs, checkpoints).

Run folders come from colleagues, other machines and crashed runs, so nothing in them
is trusted: every reader checks the shape and types of what it reads and turns anything
else into a :class:`~lrpstudio.core.errors.CheckpointError` (exit code 2) that names the
file, the line where there is one, and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, TypeGuard

from lrpstudio.core.errors import CheckpointError

#: A config.json or metrics.csv larger than this is not one lrpstudio wrote (memory bound).
MAX_RECORD_BYTES = 256 * 1024 * 1024

#: Field -> (check, what it must be).
FieldChecks = Mapping[str, tuple[Callable[[Any], bool], str]]


def fail(problem: str, path: Path, expected: Any = None, actual: Any = None) -> CheckpointError:
    """The error a broken run file raises: the problem, the file, what was expected and found."""
    return CheckpointError(problem, path, expected=expected, actual=actual)


def is_int(value: Any) -> TypeGuard[int]:
    """True for an int that is not a bool (JSON's true is not a count)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_fields(section: Mapping[str, Any], fields: FieldChecks, where: str, path: Path) -> None:
    """Raise for the first known key of ``section`` whose value fails its check."""
    for key, (ok, what) in fields.items():
        if key in section and not ok(section[key]):
            raise fail(f"{where}.{key} has the wrong type", path, expected=what,
                       actual=f"{type(section[key]).__name__} {section[key]!r:.40}")


def read_bounded(path: Path) -> bytes:
    """The file's bytes; a file too large to be a run record is refused before reading."""
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise fail("file too large for a run record", path,
                       expected=f"<= {MAX_RECORD_BYTES} bytes", actual=size)
        return path.read_bytes()
    except OSError as error:
        raise fail(f"cannot read the file ({error.strerror or error})", path) from error
