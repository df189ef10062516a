"""The journal of one edit session: created on the first edit, flushed on time, cleared on save.

:class:`SessionJournal` keeps what the session needs to write a journal that a later
launch can replay: the sha256 of the base segmentation (the one the session started
from, or the last saved one), the source file, the time of the last flush.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .change import Change, as_shape
from .journal import JournalHeader, JournalWriter, Replay, array_sha256

#: Appended to a journal's name when a new session starts over it without restoring it.
BACKUP_SUFFIX = ".bak"


class SessionJournal:
    """Lazy journal writer of a session; every method is a no-op when ``path`` is None.

    Parameters
    ----------
    path
        Journal file, or None when journaling is off.
    case_id, source_file
        Recorded in the header.
    base
        The segmentation the journal's records apply to (hashed now).
    clock, flush_interval_s
        :meth:`tick` flushes when this much time passed since the last flush.
    """

    def __init__(self, path: Path | None, case_id: str, source_file: str | None, base: np.ndarray,
                 clock: Callable[[], float], flush_interval_s: float) -> None:
        self.path = path
        self._case_id = case_id
        self._source_file = source_file
        self._shape = as_shape(base.shape)
        self._base_sha = array_sha256(base) if path is not None else ""
        self._clock = clock
        self._interval = flush_interval_s
        self._writer: JournalWriter | None = None
        self._last_flush = clock()

    def _open(self) -> JournalWriter | None:
        if self._writer is None and self.path is not None:
            if self.path.exists():
                # A journal this session did not restore (the user declined, or never
                # asked): keep it beside as a backup instead of truncating someone's work.
                self.path.replace(self.path.with_name(self.path.name + BACKUP_SUFFIX))
            header = JournalHeader(self._case_id, self._source_file, self._base_sha, self._shape)
            self._writer = JournalWriter(self.path, header)
        return self._writer

    def chunk(self, change: Change) -> None:
        """Queue changed voxels of the step in progress."""
        writer = self._open()
        if writer is not None:
            writer.chunk(change)

    def commit(self, serial: int, name: str) -> None:
        """Queue the end of a step and flush."""
        writer = self._open()
        if writer is not None:
            writer.commit(serial, name)
        self.flush()

    def undo_redo(self, serial: int, change: Change, redo: bool) -> None:
        """Queue an undo or redo of step ``serial`` and flush."""
        writer = self._open()
        if writer is not None:
            (writer.redo if redo else writer.undo)(serial, change)
        self.flush()

    def tick(self) -> None:
        """Flush when the flush interval has passed (called during a long stroke)."""
        if self._writer is not None and self._clock() - self._last_flush >= self._interval:
            self.flush()

    def flush(self) -> None:
        """Write and fsync queued records."""
        if self._writer is not None:
            self._writer.flush()
        self._last_flush = self._clock()

    def rebase(self, seg: np.ndarray, source_file: str | None) -> None:
        """After a save: remove the journal; later records build on ``seg`` (the saved mask)."""
        if self._writer is not None:
            self._writer.delete()
            self._writer = None
        if source_file is not None:
            self._source_file = source_file
        if self.path is not None:
            self._base_sha = array_sha256(seg)

    def resume(self, path: Path, replayed: Replay) -> None:
        """Continue writing into a replayed journal (cut at its last valid record)."""
        self.path = path
        self._base_sha = replayed.header.base_sha256
        self._source_file = replayed.header.source_file
        self._writer = JournalWriter(path, replayed.header, resume_at=replayed.valid_bytes)

    def close(self, keep: bool) -> None:
        """Close the journal; delete it unless ``keep`` (unsaved edits remain)."""
        if self._writer is None:
            return
        if keep:
            self._writer.close()
        else:
            self._writer.delete()
        self._writer = None
