"""What makes a prepared case reusable: file fingerprints and per-case cache keys.

A case's slices depend only on its files' contents, its correction, its artefact region,
its grade (which sets how many slices are taken) and the extraction parameters. Each of these goes into
one cache key; a case whose key matches the previous build's is not read again.

Hashing every volume on every run would cost more than needed, so a file's SHA-256 is
taken from the previous manifest when the file's size and modification time (ns) are
unchanged, as ``git`` does with its index; any change of either rehashes the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

#: Bump when the extraction (slicing.py) changes its output: every cached case is redone.
EXTRACT_VERSION = 2
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """A source file as the manifest records it."""

    path: str
    size: int
    mtime_ns: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"path": self.path, "size": self.size, "mtime_ns": self.mtime_ns,
                "sha256": self.sha256}


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path, previous: Mapping[str, Any] | None = None) -> FileRecord:
    """Size, mtime and SHA-256 of ``path``; the hash is reused from ``previous`` when valid.

    Parameters
    ----------
    path
        The file (must exist; an OSError propagates).
    previous
        The file's record from the last manifest (``{"size", "mtime_ns", "sha256"}``).
    """
    stat = Path(path).stat()
    if previous is not None and is_unchanged(path, previous, stat):
        digest = str(previous["sha256"])
    else:
        digest = sha256_file(path)
    return FileRecord(path=str(path), size=int(stat.st_size), mtime_ns=int(stat.st_mtime_ns),
                      sha256=digest)


def is_unchanged(path: Path, previous: Mapping[str, Any] | None, stat: os.stat_result | None = None) -> bool:
    """Whether ``previous`` (a manifest record) still describes ``path``: same path, size, mtime.

    Raises OSError when ``path`` cannot be stat'ed.
    """
    stat = stat or Path(path).stat()
    return bool(previous and previous.get("sha256") and previous.get("path") == str(path)
                and previous.get("size") == stat.st_size
                and previous.get("mtime_ns") == stat.st_mtime_ns)


def stable_hash(payload: Any, length: int = 64) -> str:
    """SHA-256 (hex, first ``length`` characters) of a JSON-serialisable value, key-order free."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def case_key(
    files: Mapping[str, FileRecord],
    correction: FileRecord | None,
    release: str,
    grade: str,
    parameters: Mapping[str, Any],
    artefact: FileRecord | None = None,
) -> str:
    """The cache key of one case's extracted slices.

    Parameters
    ----------
    files
        Kind (t1, t1ce, t2, flair, seg) -> fingerprint. Only the hashes count, so a
        moved or touched but unchanged file keeps its key.
    correction
        The corrected mask used instead of ``seg``, or None.
    release
        The case's release (it fixes the label convention of the seg).
    grade
        ``"HGG"`` or ``"LGG"`` (it fixes how many slices are taken).
    parameters
        The extraction parameters (channels, size, slices, step, mask region).
    artefact
        The case's artefact region in the workspace, or None. Absent, it is left out of
        the key, so the keys of cases without one are those of older builds.
    """
    extra = {} if artefact is None else {"artefact": artefact.sha256}
    return stable_hash({
        **extra,
        "extract_version": EXTRACT_VERSION,
        "files": {kind: record.sha256 for kind, record in files.items()},
        "correction": correction.sha256 if correction is not None else None,
        "release": release,
        "grade": grade,
        "parameters": dict(parameters),
    })
