"""Restore and edited marks: edits undone back to the saved mask leave nothing to restore,
a real restore shows the unsaved '*', and undoing every edit takes the case list's edited
mark and the 'in progress' it set back."""

from __future__ import annotations

from pathlib import Path

from lrpstudio.gui.shell.prompts import ScriptedPrompter


def _paint_undo_fill_undo(window) -> None:
    session, (x, y, z) = window.controller.session, window.state.cursor
    assert session.paint((x, y, z)) is not None
    session.undo()
    assert session.flood_fill((1, 1, z)) is not None  # the background of the slice
    session.undo()
    assert not window.controller.dirty


def test_no_net_change_offers_no_restore_and_a_real_restore_is_unsaved(
        make_window, demo_root: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    first = make_window(ScriptedPrompter())
    first.open_path(demo_root, workspace)
    _paint_undo_fill_undo(first)
    journals = list((workspace / "recovery").glob("*"))
    assert journals, "the journal of the session is on disk (what a kill leaves)"
    second = make_window(ScriptedPrompter(restore=[True]))
    second.open_path(demo_root, workspace)
    assert "restore" not in second.prompter.asked  # paint, undo, fill, undo: nothing to restore
    assert not second.windowTitle().endswith("*")

    first.controller.session.paint(first.state.cursor)  # one real, unsaved step
    third = make_window(ScriptedPrompter(restore=[True]))
    third.open_path(demo_root, workspace)
    assert "restore" in third.prompter.asked
    assert third.controller.dirty and third.windowTitle().endswith(" *"), third.windowTitle()
    row = third.browser.row_of(str(third.case.id))
    assert row is not None and row.edited


def test_undoing_every_edit_takes_the_marks_back(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = make_window(ScriptedPrompter())
    window.open_path(demo_root, tmp_path / "ws")
    case_id = str(window.case.id)
    row = window.browser.row_of(case_id)
    assert row is not None and not row.edited and row.review == "not started"
    session = window.controller.session
    session.paint(window.state.cursor)
    row = window.browser.row_of(case_id)
    assert row is not None and row.edited and row.review == "in progress"
    assert window.windowTitle().endswith(" *")
    session.undo()
    row = window.browser.row_of(case_id)
    assert row is not None and not row.edited and row.review == "not started"
    assert window.data.row(case_id).review == "not started"  # in the workspace too
    assert not window.windowTitle().endswith("*")
    # A save makes them stick: undoing after it leaves a saved correction and a started review.
    session.paint(window.state.cursor)
    assert window.save()
    session.undo()
    row = window.browser.row_of(case_id)
    assert row is not None and row.edited and row.review == "in progress"
