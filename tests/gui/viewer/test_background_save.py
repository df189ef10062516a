"""Ctrl+S saves on a worker thread: a busy bar, editing paused meanwhile, failures keep the edits."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from tests.gui.conftest import drag


@pytest.fixture
def window(make_window, demo_root: Path, tmp_path: Path):
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    window.views.set_active("axial")
    return window


def _corner(window, dx: int = 0) -> tuple[int, int, int]:
    view = window.views.views["axial"]
    return view.mapping.to_voxel(5.5 + dx, 5.5, view.slice_index, window.state.shape)


def _paint(window, voxel) -> None:
    view = window.views.views["axial"]
    window.action_map["tool.brush"].trigger()
    drag(view, [view.widget_pos_of(voxel)])


def test_save_runs_off_the_gui_thread_and_pauses_editing(window, qtbot, tmp_path: Path) -> None:
    window.action_map["label.3"].trigger()
    window.panel.radius.setValue(1)
    _paint(window, _corner(window))
    painted = window.state.seg.copy()
    case_id = window.case.id
    window.action_map["file.save"].trigger()
    # The call returned while the save is still open: it finishes on the GUI thread only
    # when the event loop runs again, so nothing has been marked saved yet.
    saver = window.saver
    assert saver.busy and saver.bar.isVisible()
    assert window.statusBar().currentMessage() == f"Saving {case_id}…"
    assert window.controller.dirty
    assert not window.action_map["tool.brush"].isEnabled() and not window.action_map["edit.undo"].isEnabled()
    assert not window.action_map["file.save"].isEnabled()
    _paint(window, _corner(window, dx=6))  # a stroke during the save is not an edit
    np.testing.assert_array_equal(window.state.seg, painted)
    qtbot.waitUntil(lambda: not saver.busy, timeout=20_000)
    assert not window.controller.dirty and not window.windowTitle().endswith("*")
    assert not saver.bar.isVisible()
    assert saver.bar.maximum() == 4 and saver.bar.value() == 4  # it went through every stage
    assert window.action_map["tool.brush"].isEnabled() and window.action_map["edit.undo"].isEnabled()
    assert "Saved" in window.statusBar().currentMessage()
    saved = tmp_path / "ws" / "corrections" / case_id / f"{case_id}_seg.nii.gz"
    raw = np.asarray(nib.load(str(saved)).dataobj)
    assert (raw[painted == 3] == 4).all()  # canonical 3 is BraTS 2020's enhancing label 4
    assert not list((tmp_path / "ws" / "recovery").glob("*.journal"))
    # Editing works again, with the brush that was chosen before the save.
    _paint(window, _corner(window, dx=6))
    assert window.controller.dirty and not np.array_equal(window.state.seg, painted)


def test_a_failed_save_reports_once_and_keeps_the_edits(window, qtbot, tmp_path: Path) -> None:
    window.action_map["label.1"].trigger()
    _paint(window, _corner(window))
    painted = window.state.seg.copy()
    case_id = window.case.id
    blocker = tmp_path / "ws" / "corrections" / case_id
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the case's folder should be")
    journal = window.controller.session.journal_file
    window.action_map["file.save"].trigger()
    qtbot.waitUntil(lambda: not window.saver.busy, timeout=20_000)
    assert window.reporter.last_message is not None and "save failed" in window.reporter.last_message
    assert window.reporter._dialog is not None and window.reporter._dialog.isVisible()
    assert window.controller.dirty and window.windowTitle().endswith("*")
    np.testing.assert_array_equal(window.state.seg, painted)
    assert journal is not None and journal.is_file(), "the crash journal of the edits is kept"
    assert window.action_map["file.save"].isEnabled() and window.action_map["edit.undo"].isEnabled()
    window.reporter._dialog.close()
    blocker.unlink()
    assert window.save()  # a script's save waits for the file
    assert not window.controller.dirty


def test_moving_to_another_case_waits_for_a_running_save(window, qtbot, tmp_path: Path) -> None:
    window.action_map["label.2"].trigger()
    _paint(window, _corner(window))
    case_id = window.case.id
    window.action_map["file.save"].trigger()
    assert window.saver.busy
    window.action_map["case.next"].trigger()  # asks nothing: the save finishes first
    assert not window.saver.busy
    assert window.prompter.asked == []
    assert (tmp_path / "ws" / "corrections" / case_id / f"{case_id}_seg.nii.gz").is_file()
    qtbot.waitUntil(lambda: window.case is not None and window.case.id != case_id, timeout=20_000)
