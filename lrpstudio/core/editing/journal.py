"""The recovery journal: an append-only file of edit records, replayed after a crash.

Location: ``<workspace>/recovery/<case_id>.journal``. The file starts with a magic line
and a header record (case id, source segmentation file, sha256 of the base segmentation
array, shape). Then one record per event:

* ``P`` a chunk of changed voxels (flat indices, old and new values) of the step in progress,
* ``C`` commit: the chunks since the previous commit form one undo step (serial, name),
* ``U`` / ``R`` undo / redo of the step with the given serial; they carry the step's
  voxels too, so an undo across a save (of a step recorded in an earlier, cleared
  journal) still replays to the right segmentation.

Every record is ``<u32 body length><u32 crc32 of type+body><type byte><body>``. A kill in
the middle of a write leaves a torn last record: reading stops at the first record whose
length or checksum does not match, and every earlier record still applies. Chunks after
the last commit (a stroke interrupted by the crash) are recovered as one final step.

The session writes records as the user edits and flushes them (``write`` + ``fsync``) at
every stroke end, undo, redo and one-shot tool, and at least once a second during a long
stroke, so a committed edit reaches the disk well within two seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import fsync_folder
from ..errors import JournalError, storage_error
from .change import Change, apply_change, as_shape, bounding_box, merge_changes
from .history import DEFAULT_MAX_STEPS, History

MAGIC = b"LRPSTUDIO-JOURNAL 1\n"
_RECORD = struct.Struct("<IIc")
_SERIAL = struct.Struct("<q")
_CHUNK = struct.Struct("<BI")
RECOVERY_FOLDER = "recovery"
JOURNAL_SUFFIX = ".journal"


def array_sha256(seg: np.ndarray) -> str:
    """sha256 of a segmentation's shape and uint8 C-order bytes (what a journal is based on).

    Canonical labels are 0..3, so the uint8 cast is lossless; it makes the hash independent
    of the dtype a reader happens to return.
    """
    digest = hashlib.sha256(f"{tuple(seg.shape)}|uint8|".encode())
    digest.update(np.ascontiguousarray(seg, dtype=np.uint8).data)
    return digest.hexdigest()


def workspace_root(workspace: Any) -> Path:
    """The folder of a workspace given as a ``Workspace`` (its ``root``) or as a path."""
    if isinstance(workspace, (str, os.PathLike)):
        return Path(workspace)  # (a Path also has a .root attribute: "/")
    return Path(workspace.root)


def journal_path(workspace: Any, case_id: str) -> Path:
    """``<workspace>/recovery/<case_id>.journal`` (unsafe file-name characters become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", case_id) or "_"
    return workspace_root(workspace) / RECOVERY_FOLDER / f"{safe}{JOURNAL_SUFFIX}"


@dataclass(frozen=True)
class JournalHeader:
    """What a journal applies to."""

    case_id: str
    source_file: str | None
    base_sha256: str
    shape: tuple[int, int, int]

    def to_bytes(self) -> bytes:
        """JSON encoding stored in the header record."""
        return json.dumps({"format": 1, "case_id": self.case_id, "source_file": self.source_file,
                           "base_sha256": self.base_sha256, "shape": list(self.shape)}).encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> "JournalHeader":
        """Decode a header record (raises KeyError/ValueError when malformed)."""
        data = json.loads(body.decode("utf-8"))
        return cls(str(data["case_id"]), data["source_file"], str(data["base_sha256"]), as_shape(data["shape"]))


def _record(kind: bytes, body: bytes) -> bytes:
    return _RECORD.pack(len(body), zlib.crc32(kind + body), kind) + body


def chunk_body(change: Change) -> bytes:
    """Binary form of a change: ``<u8 index size><u32 count>``, indices, old values, new values."""
    itemsize = change.indices.dtype.itemsize
    return (_CHUNK.pack(itemsize, change.size) + change.indices.astype(f"<i{itemsize}").tobytes()
            + np.ascontiguousarray(change.old, np.uint8).tobytes()
            + np.ascontiguousarray(change.new, np.uint8).tobytes())


def encode_chunk(change: Change) -> bytes:
    """A ``P`` record holding a change's indices, old and new values."""
    return _record(b"P", chunk_body(change))


def decode_chunk(body: bytes) -> Change:
    """Inverse of :func:`encode_chunk` (body without the record header)."""
    itemsize, count = _CHUNK.unpack_from(body)
    dtype = np.dtype(f"<i{itemsize}")
    start = _CHUNK.size
    end = start + itemsize * count
    if len(body) != end + 2 * count:
        raise ValueError("chunk length does not match its voxel count")
    indices = np.frombuffer(body, dtype, count, start).astype(dtype.newbyteorder("="))
    old = np.frombuffer(body, np.uint8, count, end).copy()
    new = np.frombuffer(body, np.uint8, count, end + count).copy()
    return Change(indices, old, new)


def read_records(data: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """Split journal bytes into ``(type, body)`` records; stop at a torn or corrupt record.

    Returns the records and the byte offset where the valid part ends.
    """
    if not data.startswith(MAGIC):
        raise ValueError("not an lrpstudio journal (bad magic)")
    records: list[tuple[bytes, bytes]] = []
    offset = len(MAGIC)
    while offset + _RECORD.size <= len(data):
        length, crc, kind = _RECORD.unpack_from(data, offset)
        start = offset + _RECORD.size
        body = data[start:start + length]
        if len(body) != length or zlib.crc32(kind + body) != crc:
            break  # torn tail (killed mid-write) or corruption: keep what came before
        records.append((kind, body))
        offset = start + length
    return records, offset


def read_header(path: Path) -> tuple[JournalHeader, list[tuple[bytes, bytes]], int]:
    """Header, the following records and the valid length of a journal file."""
    try:
        data = path.read_bytes()
        records, valid = read_records(data)
        if not records or records[0][0] != b"H":
            raise ValueError("the header record is missing or damaged")
        return JournalHeader.from_bytes(records[0][1]), records[1:], valid
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise JournalError(f"unreadable recovery journal: {error}", path) from error


@dataclass
class Replay:
    """The outcome of replaying a journal onto its base segmentation."""

    seg: np.ndarray
    header: JournalHeader
    history: History
    partial_stroke: bool
    valid_bytes: int


def _replay_undo_redo(seg: np.ndarray, kind: bytes, body: bytes, history: History,
                      fallback_serial: int) -> None:
    """Apply a ``U``/``R`` record. It carries the step's voxels, so the segmentation is right
    even when the step predates this journal (undo across a save); the rebuilt history then
    records it as a plain step with ``fallback_serial`` (negative: never a live serial)."""
    serial = _SERIAL.unpack_from(body)[0]
    change = decode_chunk(body[_SERIAL.size:])
    redo = kind == b"R"
    top = history.peek_redo() if redo else history.peek_undo()
    if top is not None and top.serial == serial:
        step = history.pop_redo() if redo else history.pop_undo()
        assert step is not None
        apply_change(seg, step.change, forward=redo)
        return
    effective = change if redo else change.inverse()
    apply_change(seg, effective)
    merged = merge_changes([effective], seg.size)
    history.push("redo" if redo else "undo", merged, bounding_box(merged.indices, seg.shape),
                 serial=fallback_serial)


def _replay_records(seg: np.ndarray, records: list[tuple[bytes, bytes]], history: History) -> bool:
    """Apply records to ``seg`` in place; returns whether an uncommitted stroke was recovered."""
    pending: list[Change] = []
    for number, (kind, body) in enumerate(records):
        if kind == b"P":
            chunk = decode_chunk(body)
            apply_change(seg, chunk)
            pending.append(chunk)
        elif kind == b"C":
            serial = _SERIAL.unpack_from(body)[0]
            merged = merge_changes(pending, seg.size)
            history.push(body[_SERIAL.size:].decode("utf-8"), merged,
                         bounding_box(merged.indices, seg.shape), serial=serial)
            pending = []
        elif kind in (b"U", b"R"):
            _replay_undo_redo(seg, kind, body, history, fallback_serial=-(number + 1))
        else:
            raise ValueError(f"unknown record type {kind!r}")
    if pending:
        merged = merge_changes(pending, seg.size)
        history.push("recovered stroke", merged, bounding_box(merged.indices, seg.shape))
    return bool(pending)


def replay(path: str | Path, base_seg: np.ndarray, max_steps: int = DEFAULT_MAX_STEPS) -> Replay:
    """Replay a journal onto a copy of ``base_seg``, rebuilding the undo history.

    Raises
    ------
    JournalError
        The file is unreadable, or ``base_seg`` is not the segmentation the journal was
        recorded on (sha256 differs), or its records contradict each other.
    """
    path = Path(path)
    header, records, valid = read_header(path)
    actual = array_sha256(base_seg)
    if actual != header.base_sha256:
        raise JournalError("the journal was recorded on a different segmentation", path,
                           expected=header.base_sha256[:12], actual=actual[:12])
    seg = np.array(base_seg, dtype=np.uint8, order="C", copy=True)
    history = History(max_steps)
    try:
        partial = _replay_records(seg, records, history)
    except (ValueError, IndexError, struct.error) as error:
        raise JournalError(f"damaged recovery journal: {error}", path) from error
    return Replay(seg, header, history, partial, valid)


def recover(journal_path: str | Path, base_seg: np.ndarray) -> np.ndarray:
    """The segmentation with every journaled edit replayed onto ``base_seg`` (a new array)."""
    return replay(journal_path, base_seg).seg


@dataclass(frozen=True)
class JournalInfo:
    """A journal found in a workspace (the GUI offers to restore it).

    ``steps`` is the net number of steps the journal changes the mask by
    (:func:`net_steps`): paint then undo is no step, an undo of a step saved before the
    journal is one.
    """

    path: Path
    case_id: str | None
    source_file: str | None
    steps: int
    modified: float
    problem: str | None = None


def find_recoverable(workspace: Any) -> list[JournalInfo]:
    """Journals left in ``<workspace>/recovery`` that hold edits (a crash or kill left them).

    A journal is cleared after a successful save, so any journal with edit records is
    unsaved work. Unreadable journals are listed with ``problem`` set, never skipped.
    """
    folder = workspace_root(workspace) / RECOVERY_FOLDER
    found: list[JournalInfo] = []
    for path in sorted(folder.glob(f"*{JOURNAL_SUFFIX}")):
        modified = path.stat().st_mtime
        try:
            header, records, _ = read_header(path)
        except JournalError as error:
            found.append(JournalInfo(path, None, None, 0, modified, error.detail()))
            continue
        try:
            steps = net_steps(records)
        except struct.error as error:
            found.append(JournalInfo(path, header.case_id, header.source_file, 0, modified,
                                     f"damaged recovery journal: {error}"))
            continue
        # Edits undone back to the base leave nothing to restore (the mask is the saved one).
        if steps:
            found.append(JournalInfo(path, header.case_id, header.source_file, steps, modified))
    return found


def net_steps(records: list[tuple[bytes, bytes]]) -> int:
    """How many steps the records leave applied on top of the base segmentation.

    The undo/redo stacks are followed by serial, as :func:`replay` does: a commit adds a
    step, an undo of the newest step takes it away (and a redo puts it back). An undo or
    redo of a step from before the journal (across a save) changes the mask: one step.
    A stroke cut short (chunks without their commit) is one step too.
    """
    applied: list[int] = []
    undone: list[int] = []
    pending = False
    for kind, body in records:
        if kind == b"P":
            pending = True
        elif kind == b"C":
            applied.append(_SERIAL.unpack_from(body)[0])
            undone.clear()
            pending = False
        elif kind in (b"U", b"R"):
            serial = _SERIAL.unpack_from(body)[0]
            source, target = (undone, applied) if kind == b"R" else (applied, undone)
            if source and source[-1] == serial:
                target.append(source.pop())
            else:  # a step below the journal: its voxels change the saved mask
                applied.append(-1)
                undone.clear()
    return len(applied) + int(pending)


def discard_journal(path: str | Path) -> None:
    """Delete a journal (the user chose not to restore it, or the edits were saved)."""
    Path(path).unlink(missing_ok=True)


class JournalWriter:
    """Appends records to a journal; :meth:`flush` writes and fsyncs them.

    Parameters
    ----------
    path
        Journal file.
    header
        Written when the file is created.
    resume_at
        Continue an existing journal (after a restore): the file is cut at this offset
        (dropping a torn tail) and new records are appended. None creates a new file.
    """

    def __init__(self, path: str | Path, header: JournalHeader, resume_at: int | None = None) -> None:
        self.path = Path(path)
        self.header = header
        self._buffer: list[bytes] = []
        self._fd = -1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if resume_at is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
            else:
                self._fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
                os.ftruncate(self._fd, resume_at)
                os.lseek(self._fd, resume_at, os.SEEK_SET)
        except OSError as error:
            raise storage_error(error, self.path) from error
        if resume_at is None:
            self._buffer.append(MAGIC + _record(b"H", header.to_bytes()))
            self.flush()
            fsync_folder(self.path.parent)

    def chunk(self, change: Change) -> None:
        """Queue the voxels of the step in progress."""
        if change.size:
            self._buffer.append(encode_chunk(change))

    def commit(self, serial: int, name: str) -> None:
        """Queue the end of a step."""
        self._buffer.append(_record(b"C", _SERIAL.pack(serial) + name.encode("utf-8")))

    def undo(self, serial: int, change: Change) -> None:
        """Queue an undo of step ``serial`` (whose change is ``change``)."""
        self._buffer.append(_record(b"U", _SERIAL.pack(serial) + chunk_body(change)))

    def redo(self, serial: int, change: Change) -> None:
        """Queue a redo of step ``serial`` (whose change is ``change``)."""
        self._buffer.append(_record(b"R", _SERIAL.pack(serial) + chunk_body(change)))

    def pending(self) -> bool:
        """Whether records wait to be flushed."""
        return bool(self._buffer)

    def flush(self) -> None:
        """Write queued records in one ``write`` and fsync them."""
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        start = os.lseek(self._fd, 0, os.SEEK_CUR)
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            # write() alone survives a killed process (the page cache outlives it); the sync
            # also survives an OS crash or power loss. fdatasync skips timestamps where it exists.
            getattr(os, "fdatasync", os.fsync)(self._fd)
        except OSError as error:
            # A full disk: cut the partial records off and keep them queued, so a later
            # flush (after space is freed) appends whole records, never after a torn one.
            try:
                os.ftruncate(self._fd, start)
                os.lseek(self._fd, start, os.SEEK_SET)
            except OSError:
                pass
            raise storage_error(error, self.path) from error
        self._buffer.clear()

    def close(self) -> None:
        """Flush and close the file (it stays on disk)."""
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def delete(self) -> None:
        """Close and remove the file (after a successful save)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._buffer.clear()
        discard_journal(self.path)
