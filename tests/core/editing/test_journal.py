"""The recovery journal: replay equals the live session, torn tails, wrong bases, save, restore."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.editing import (BrushSettings, EditSession, SessionOptions, array_sha256,
                                    find_recoverable, journal_path, recover, replay)
from lrpstudio.core.editing.journal import MAGIC, read_records
from lrpstudio.core.errors import EditingError, JournalError

SHAPE = (32, 32, 16)


def _base() -> np.ndarray:
    seg = np.zeros(SHAPE, np.uint8)
    seg[10:20, 10:20, 4:10] = 2
    return seg


def _random_edits(session: EditSession, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Random strokes, tools, undo and redo; returns the state after every journaled event."""
    states = []
    for _ in range(count):
        action = rng.integers(0, 6)
        session.set_active_label(int(rng.integers(1, 4)))
        if action <= 1:
            session.set_brush(BrushSettings(radius=float(rng.integers(0, 4)),
                                            shape="ball" if rng.random() < 0.5 else "disc"))
            session.begin_stroke(erase=bool(action))
            for _ in range(int(rng.integers(1, 4))):
                session.stroke_to(tuple(int(rng.integers(0, n)) for n in SHAPE))
            session.end_stroke()
        elif action == 2:
            session.flood_fill(tuple(int(rng.integers(0, n)) for n in SHAPE), plane="axial")
        elif action == 3:
            session.undo()
        elif action == 4:
            session.redo()
        else:
            session.remove_small_islands(int(rng.integers(2, 30)))
        states.append(session.seg.copy())
    return states


def test_replay_reproduces_the_session_and_its_history(tmp_path: Path) -> None:
    base = _base()
    session = EditSession(base, workspace=tmp_path, case_id="BraTS/case 1")
    _random_edits(session, np.random.default_rng(11), 40)
    path = journal_path(tmp_path, "BraTS/case 1")
    assert path == session.journal_file and path.name == "BraTS_case_1.journal"
    result = replay(path, base)
    np.testing.assert_array_equal(result.seg, session.seg)
    assert result.header.case_id == "BraTS/case 1" and not result.partial_stroke
    assert len(result.history) == len(session.history)
    assert result.history.state_serial() == session.history.state_serial()
    # undoing the rebuilt history leads back to the base
    seg = result.seg
    from lrpstudio.core.editing.change import apply_change
    while (step := result.history.pop_undo()) is not None:
        apply_change(seg, step.change, forward=False)
    live = session.history
    while live.can_undo():
        session.undo()
    np.testing.assert_array_equal(seg, session.seg)


def test_torn_tail_keeps_every_complete_record(tmp_path: Path) -> None:
    base = _base()
    session = EditSession(base, workspace=tmp_path, case_id="c")
    session.set_brush(BrushSettings(radius=2))
    states = []
    for i in range(6):
        session.paint((5 + 4 * i, 5, 5))
        states.append(session.seg.copy())
    data = session.journal_file.read_bytes()
    records, end = read_records(data)
    assert end == len(data) and len(records) == 1 + 2 * 6  # header + (chunk, commit) per stroke
    offsets = [len(MAGIC)]
    for _, body in records:
        offsets.append(offsets[-1] + 9 + len(body))
    torn = tmp_path / "torn.journal"
    # kill points: around every record boundary, and a stride through the bodies
    cuts = {c + d for c in offsets[1:] for d in (-2, -1, 0, 1, 2, 9, 10)} | set(range(offsets[1], len(data), 17))
    for cut in sorted(c for c in cuts if offsets[1] < c <= len(data)):
        torn.write_bytes(data[:cut])
        complete = sum(1 for o in offsets[1:] if o <= cut) - 1  # records after the header
        result = replay(torn, base)
        # a complete chunk without its commit is recovered as a partial stroke
        expected = states[(complete - 1) // 2] if complete >= 1 else base
        np.testing.assert_array_equal(result.seg, expected)
        assert result.partial_stroke == (complete % 2 == 1)
    # a flipped byte in the middle invalidates that record and everything after it
    corrupt = bytearray(data)
    corrupt[offsets[5] + 12] ^= 0xFF
    torn.write_bytes(bytes(corrupt))
    np.testing.assert_array_equal(recover(torn, base), states[1])


def test_replay_refuses_a_different_base_and_bad_files(tmp_path: Path) -> None:
    base = _base()
    session = EditSession(base, workspace=tmp_path, case_id="c")
    session.paint((1, 1, 1))
    other = base.copy()
    other[0, 0, 0] = 1
    with pytest.raises(JournalError) as info:
        recover(session.journal_file, other)
    assert info.value.path == session.journal_file and info.value.exit_code == 2
    assert array_sha256(base.astype(np.int16)) == array_sha256(base)  # dtype-independent
    bad = tmp_path / "recovery" / "bad.journal"
    bad.write_bytes(b"not a journal")
    with pytest.raises(JournalError):
        recover(bad, base)
    infos = {i.path.name: i for i in find_recoverable(tmp_path)}
    assert infos["c.journal"].steps == 1 and infos["c.journal"].case_id == "c"
    assert infos["bad.journal"].problem and "bad magic" in infos["bad.journal"].problem


def test_save_clears_journal_and_undo_across_save_replays(tmp_path: Path) -> None:
    base = _base()
    session = EditSession(base, workspace=tmp_path, case_id="c")
    session.paint((3, 3, 3))
    session.paint((8, 3, 3))
    saved: list[np.ndarray] = []
    session.save(saved.append)
    assert not session.journal_file.exists() and find_recoverable(tmp_path) == []
    session.undo()  # undoes a step recorded before the save, in the cleared journal
    assert [info.steps for info in find_recoverable(tmp_path)] == [1]  # an undo alone is unsaved work
    np.testing.assert_array_equal(recover(session.journal_file, saved[0]), session.seg)
    session.paint((20, 25, 12))
    session.undo()
    session.undo()
    session.redo()
    assert session.journal_file.exists()
    np.testing.assert_array_equal(recover(session.journal_file, saved[0]), session.seg)
    with pytest.raises(JournalError):
        recover(session.journal_file, base)  # the journal now builds on the saved mask
    session.close()
    assert session.journal_file.exists()  # unsaved edits keep their journal on close


def test_close_without_unsaved_edits_removes_journal(tmp_path: Path) -> None:
    session = EditSession(_base(), workspace=tmp_path, case_id="c")
    session.paint((3, 3, 3))
    session.undo()
    session.close()
    assert not session.journal_file.exists()


def test_restore_continues_in_the_same_journal(tmp_path: Path) -> None:
    base = _base()
    first = EditSession(base, workspace=tmp_path, case_id="c")
    _random_edits(first, np.random.default_rng(12), 15)
    expected = first.seg.copy()
    del first  # the "crash": nothing closed, nothing saved
    second = EditSession(base, workspace=tmp_path, case_id="c")
    steps = second.restore()
    assert steps == len(second.history) and second.dirty
    np.testing.assert_array_equal(second.seg, expected)
    _random_edits(second, np.random.default_rng(13), 15)
    np.testing.assert_array_equal(recover(second.journal_file, base), second.seg)
    with pytest.raises(EditingError, match="fresh, unedited session"):
        second.restore()  # only a fresh session can restore


def test_long_stroke_is_flushed_within_the_interval(tmp_path: Path) -> None:
    now = [0.0]
    session = EditSession(_base(), workspace=tmp_path, case_id="c",
                          options=SessionOptions(flush_interval_s=1.0), clock=lambda: now[0])
    session.set_brush(BrushSettings(radius=1))
    session.paint((0, 0, 0))  # creates the journal
    path = session.journal_file
    session.begin_stroke()
    session.stroke_to((5, 5, 5))
    session.stroke_to((5, 9, 5))
    assert len(read_records(path.read_bytes())[0]) == 3  # header, chunk, commit: stroke still queued
    now[0] = 1.5
    session.stroke_to((9, 9, 5))
    records = read_records(path.read_bytes())[0]
    assert [k for k, _ in records][3:] == [b"P", b"P", b"P"]  # one chunk per mouse move
    partial = recover(path, _base())
    np.testing.assert_array_equal(partial, session.seg)  # the uncommitted stroke is recovered
    session.end_stroke()
    assert len(replay(path, _base()).history) == 2


def test_new_session_keeps_an_unrestored_journal_as_backup(tmp_path: Path) -> None:
    base = _base()
    crashed = EditSession(base, workspace=tmp_path, case_id="c")
    crashed.paint((3, 3, 3))
    lost_work = crashed.seg.copy()
    del crashed
    fresh = EditSession(base, workspace=tmp_path, case_id="c")
    fresh.paint((20, 20, 12))  # the user declined to restore and edits anew
    backup = tmp_path / "recovery" / "c.journal.bak"
    np.testing.assert_array_equal(recover(backup, base), lost_work)
    np.testing.assert_array_equal(recover(fresh.journal_file, base), fresh.seg)


def test_a_full_disk_keeps_whole_records_queued_and_names_the_journal(tmp_path: Path, monkeypatch) -> None:
    import errno
    import os

    from lrpstudio.core.editing import journal as journal_module
    from lrpstudio.core.editing.journal import JournalHeader, JournalWriter
    from lrpstudio.core.errors import StorageError

    path = tmp_path / "case.journal"
    writer = JournalWriter(path, JournalHeader("case", None, "0" * 64, (2, 2, 2)))
    size = path.stat().st_size
    writer.commit(1, "first")
    plain = os.write

    def half_then_full(fd: int, data: bytes) -> int:  # part of the records, then ENOSPC
        plain(fd, bytes(data)[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", half_then_full)
    with pytest.raises(StorageError, match="no space left") as info:
        writer.flush()
    assert str(info.value).startswith(str(path)) and path.stat().st_size == size  # torn bytes cut
    monkeypatch.undo()
    writer.flush()  # space again: the queued records go out whole
    records, end = read_records(path.read_bytes())
    assert [kind for kind, _ in records] == [b"H", b"C"] and end == path.stat().st_size
