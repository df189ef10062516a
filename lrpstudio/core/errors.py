"""Typed exceptions of the core, and the problem records that discovery collects.

Every exception carries the file it is about and, where it applies, the expected and
actual values, so that a front end can print one line that tells the user what is
wrong and where. Front ends catch :class:`LrpStudioError` at their boundary only:
the CLI prints ``str(error)`` and exits with ``error.exit_code``; the GUI shows one
dialog and logs the traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]


class LrpStudioError(Exception):
    """Base of every error the core raises on purpose.

    Parameters
    ----------
    problem
        What is wrong, in words a user understands (no trailing full stop).
    path
        The file or folder concerned, when there is one.
    expected, actual
        Optional values that make the problem concrete (shapes, labels, hashes...).
    """

    #: Process exit code a CLI uses for this error: 2 = bad input, 1 = internal failure.
    exit_code: int = 1

    def __init__(
        self,
        problem: str,
        path: str | Path | None = None,
        *,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.expected = expected
        self.actual = actual
        super().__init__(self.message())

    def detail(self) -> str:
        """The problem with its expected/actual values, without the path."""
        if self.expected is None and self.actual is None:
            return self.problem
        return f"{self.problem} (expected {self.expected}, got {self.actual})"

    def message(self) -> str:
        """One line: ``<path>: <problem> (expected ..., got ...)``."""
        return f"{self.path}: {self.detail()}" if self.path is not None else self.detail()


class InputError(LrpStudioError):
    """The user's input (a file, a folder, an option) is wrong; exit code 2."""

    exit_code = 2


class VolumeReadError(InputError):
    """A volume file cannot be read: unreadable, truncated, empty or not an image."""


class MissingModalityError(InputError):
    """A case lacks one of the files it needs."""


class GeometryMismatchError(InputError):
    """A case's files disagree in shape or affine."""


class InvalidValuesError(InputError):
    """A volume holds NaN or inf, or has an unsupported number of dimensions."""


class SegmentationError(InputError):
    """A segmentation has fractional values or labels the release does not define."""


class GradeError(InputError):
    """A grade table is unreadable or names a grade other than HGG/LGG."""


class AmbiguousFilesError(InputError):
    """A case folder holds more than one file for the same modality."""


class CorrectionError(LrpStudioError):
    """A mask correction could not be written or did not read back identically."""


class DatasetError(InputError):
    """A prepared slice dataset is missing, inconsistent or cannot be built."""


class CheckpointError(InputError):
    """A run folder or checkpoint is missing or cannot be loaded."""


class ModelError(InputError):
    """An unknown model name, or a model option (image size, channels) it cannot take."""


class ExplanationError(InputError):
    """An unknown composite or guidance kind, or a guidance option out of range."""


class TrainingDivergedError(LrpStudioError):
    """The loss became NaN or inf; the last good checkpoint is kept."""


class CancelledError(LrpStudioError):
    """A long job was cancelled through its control token."""


class EditingError(LrpStudioError):
    """A mask edit was requested in a state that does not allow it (a stale preview, undo mid-stroke)."""


class JournalError(InputError):
    """A recovery journal is unreadable or belongs to a different base segmentation."""


@dataclass(frozen=True)
class Problem:
    """One problem found while discovering or validating data.

    ``severity`` is ``"error"`` when the case cannot be used at all and
    ``"warning"`` when it can be reviewed but is left out of training
    (for example an empty tumour mask or a missing grade).
    """

    case: str | None
    file: Path | None
    problem: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form: ``{"case", "file", "problem", "severity"}``."""
        return {
            "case": self.case,
            "file": str(self.file) if self.file is not None else None,
            "problem": self.problem,
            "severity": self.severity,
        }

    @classmethod
    def from_error(cls, case: str | None, error: LrpStudioError) -> "Problem":
        """Turn a raised error into a problem record for the same file."""
        return cls(case=case, file=error.path, problem=error.detail())


class DemoDataError(InputError):
    """Demo data cannot be made where asked: the folder holds other data, or cannot be written."""


class StorageError(InputError, OSError):
    """A file or folder cannot be written: disk full, name too long, no permission, read-only.

    Also an :class:`OSError`, so code that already handles OS failures keeps doing so;
    :attr:`errno` is the operating system's code.
    """

    def __init__(self, problem: str, path: str | Path | None = None, *,
                 code: int | None = None) -> None:
        super().__init__(problem, path)
        self.errno = code


#: errno -> (what happened, what to do), for the OS failures a user can act on.
_STORAGE_ADVICE: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space or choose another folder"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or choose another folder"),
    errno.ENAMETOOLONG: ("file name too long for the file system",
                         "use a shorter case id or a folder with a shorter path"),
    errno.EACCES: ("permission denied", "choose a folder you can write to, or fix its permissions"),
    errno.EPERM: ("operation not permitted", "choose a folder you can write to, or fix its permissions"),
    errno.EROFS: ("read-only file system", "choose a folder on a writable disk"),
    errno.EFBIG: ("file too large for the file system or the process limit",
                  "choose another disk or raise the file-size limit"),
}


def storage_error(error: OSError, path: str | Path | None = None, action: str = "write",
                  ) -> StorageError:
    """One line for an OS failure: the path, what happened and what to do.

    Parameters
    ----------
    error
        The OS error (its ``filename`` names the path when ``path`` is None).
    path
        The file or folder concerned, when the error does not say.
    action
        What was attempted (``"write"``, ``"read"``, ``"access"``), for the message.
    """
    if isinstance(error, StorageError):
        return error
    where = path if path is not None else error.filename
    known = _STORAGE_ADVICE.get(error.errno or -1)
    if known is not None:
        problem = f"cannot {action}: {known[0]}; {known[1]}"
    else:
        reason = error.strerror or str(error) or type(error).__name__
        problem = f"cannot {action}: {reason}"
    return StorageError(problem, where, code=error.errno)


class WorkspacePathError(InputError):
    """A workspace path leads outside the workspace (a symbolic link, or a loop of them)."""
