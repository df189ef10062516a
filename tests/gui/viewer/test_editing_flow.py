"""Open demo data, paint with simulated mouse events, undo/redo, save, reopen, compare voxels."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, Release
from lrpstudio.gui.shell.prompts import ScriptedPrompter
from tests.gui.conftest import brush_background, drag


def _to_canonical(raw: np.ndarray, release: Release) -> np.ndarray:
    """Map release label values to canonical ones (an independent reading of the file)."""
    out = np.zeros(raw.shape, dtype=np.uint8)
    for value, canonical in LABEL_CONVENTIONS[release].mapping.items():
        out[raw == value] = canonical
    return out


def test_paint_undo_redo_save_reopen(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    workspace = tmp_path / "ws"
    window.open_path(demo_root, workspace)
    assert window.case is not None, "the first case opens on its own"
    case_id = window.case.id
    original = window.state.seg.copy()

    voxels = brush_background(window, 4)
    view = window.views.views["axial"]

    painted = window.state.seg.copy()
    for v in voxels:
        assert painted[v] == 3, f"voxel {v} under the stroke is not painted"
    changed = np.argwhere(painted != original)
    assert len(changed) >= len(voxels)
    # Every changed voxel lies in the axial slice of the stroke (2D brush) near the path.
    assert set(changed[:, view.mapping.slice_axis]) == {view.slice_index}
    assert window.controller.dirty and window.windowTitle().endswith("*")
    assert window.browser.row_of(case_id).edited

    window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, original)
    window.views.step_slice(+3)  # undo history survives slice changes
    window.action_map["edit.redo"].trigger()
    np.testing.assert_array_equal(window.state.seg, painted)

    window.action_map["file.save"].trigger()
    window.saver.wait()  # Ctrl+S saves on a worker thread
    assert not window.controller.dirty
    saved = workspace / "corrections" / case_id / f"{case_id}_seg.nii.gz"
    assert saved.is_file()
    assert "Saved" in window.statusBar().currentMessage()
    # Another reader (plain nibabel) sees the same voxels on the same grid.
    image = nib.load(str(saved))
    source = nib.load(str(window.case.files["seg"]))
    np.testing.assert_allclose(image.affine, source.affine)
    raw = np.asarray(image.dataobj)
    assert raw.dtype == np.uint8
    np.testing.assert_array_equal(_to_canonical(raw, window.case.release), painted)
    # The original file is untouched.
    np.testing.assert_array_equal(_to_canonical(np.asarray(source.dataobj).astype(np.int64),
                                                window.case.release), original)

    # Reopen in a fresh window: the correction is what loads.
    window.controller.detach()
    again = make_window()
    again.open_path(demo_root, workspace)
    again.browser.select(case_id)
    assert again.case.id == case_id
    np.testing.assert_array_equal(again.state.seg, painted)
    assert again.browser.row_of(case_id).edited


def test_eraser_and_quit_asks_about_unsaved_edits(make_window, demo_root: Path, tmp_path: Path) -> None:
    prompter = ScriptedPrompter(save=["cancel", "discard"])
    window = make_window(prompter)
    window.open_path(demo_root, tmp_path / "ws")
    seg_before = window.state.seg.copy()
    view = window.views.views["axial"]
    tumour = np.argwhere(np.take(seg_before, view.slice_index, axis=view.mapping.slice_axis) > 0)
    assert len(tumour), "the first case's start slice shows tumour"
    window.action_map["tool.eraser"].trigger()
    window.panel.paint_over.setCurrentIndex(window.panel.paint_over.findData("everything"))
    voxel = window.state.cursor
    assert seg_before[voxel] > 0, "the cursor starts inside the tumour"
    drag(view, [view.widget_pos_of(voxel)])
    assert window.state.seg[voxel] == 0
    assert not window.close(), "cancel keeps the window open"
    assert window.close(), "discard closes it"
    assert prompter.asked == [f"save:{window.case.id}"] * 2
    journal = tmp_path / "ws" / "recovery"
    assert not any(journal.glob("*.journal")), "discarded edits leave no journal behind"


def test_navigation_keys_wheel_and_levels(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    state = window.state
    view = window.views.views["axial"]
    axis = view.mapping.slice_axis
    start = state.cursor[axis]
    window.views.set_active("axial")
    window.action_map["view.slice_up"].trigger()
    assert state.cursor[axis] == start + 1
    window.action_map["view.page_down"].trigger()
    assert state.cursor[axis] == max(start + 1 - 10, 0)

    # The wheel moves one slice; the coronal and sagittal crosshairs follow.
    before = state.cursor[axis]
    qtbot.wait(1)
    centre = QtCore.QPointF(view.width() / 2, view.height() / 2)
    wheel = QtGui.QWheelEvent(centre, QtCore.QPointF(view.mapToGlobal(centre.toPoint())),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, 120),
                              QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                              QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(view.viewport(), wheel)
    assert state.cursor[axis] == before + 1
    coronal = window.views.views["coronal"]
    _, hy = coronal.mapping.to_screen(state.cursor, state.shape)
    assert abs(coronal.hline.value() - hy * coronal.mapping.pixel_size(state.zooms)[1]) < 1e-6

    # A click moves the crosshair of every view to the clicked voxel.
    target = (state.cursor[0] + 2, state.cursor[1] - 2, state.cursor[2])
    target = tuple(int(v) for v in target)
    drag(view, [view.widget_pos_of(target)])
    assert state.cursor == target
    assert window.views.views["sagittal"].slice_index == target[window.views.views["sagittal"].mapping.slice_axis]

    # Right drag: to the right widens the window, downwards raises the level.
    lo, hi = state.current_levels()
    p0 = QtCore.QPoint(100, 100)
    drag(view, [p0, p0 + QtCore.QPoint(40, 30)], QtCore.Qt.MouseButton.RightButton)
    lo2, hi2 = state.current_levels()
    assert hi2 - lo2 > hi - lo
    assert (hi2 + lo2) / 2 < (hi + lo) / 2

    # Modality keys and the auto preset.
    window.action_map["view.modality.t1"].trigger()
    assert state.modality == "t1"
    assert not np.array_equal(view.image.image, np.zeros_like(view.image.image))
    window.action_map["view.wl_auto"].trigger()
    assert state.preset_index["t1"] == 0


def test_hold_to_hide_overlay(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    window.activateWindow()
    view = window.views.views["axial"]
    assert view.overlay.isVisible()
    press = QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, QtCore.Qt.Key.Key_H,
                            QtCore.Qt.KeyboardModifier.NoModifier, "h")
    release = QtGui.QKeyEvent(QtCore.QEvent.Type.KeyRelease, QtCore.Qt.Key.Key_H,
                              QtCore.Qt.KeyboardModifier.NoModifier, "h")
    window.hold_to_hide.eventFilter(view, press)
    assert not view.overlay.isVisible()
    window.hold_to_hide.eventFilter(view, release)
    assert view.overlay.isVisible()
    window.action_map["view.outline"].trigger()
    assert window.state.style.outline
