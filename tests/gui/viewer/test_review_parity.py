"""Review parity: window/level numbers, the modality in the view, linked zoom and pan, any
view as the large one, per-label display, the label table and compare mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore

from lrpstudio.app.label_stats import ADDED
from lrpstudio.gui.viewer.overlay import OverlayStyle, styled_lut
from tests.gui.conftest import brush_background, drag, send_mouse


def _open(make_window, demo_root: Path, tmp_path: Path):  # noqa: ANN202 - a MainWindow
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    assert window.case is not None
    return window


def test_window_level_numbers_follow_the_drag_and_can_be_typed(make_window, demo_root: Path,
                                                               tmp_path: Path, qtbot) -> None:
    window = _open(make_window, demo_root, tmp_path)
    view = window.views.views["axial"]
    assert view.corner.text() == "FLAIR", "the modality is named in the view"
    port, centre = view.viewport(), view.rect().center()
    T, right = QtCore.QEvent.Type, QtCore.Qt.MouseButton.RightButton
    send_mouse(port, T.MouseButtonPress, centre, right)
    send_mouse(port, T.MouseMove, centre + QtCore.QPoint(60, -30), right)
    low, high = window.state.current_levels()
    assert f"W {high - low:.0f}  L {(high + low) / 2:.0f}" in view.corner.text()
    assert window.panel.window_width.value() == round(high - low)
    send_mouse(port, T.MouseButtonRelease, centre + QtCore.QPoint(60, -30), right)
    assert view.corner.text() == "FLAIR", "the numbers go with the drag"
    window.panel.window_width.setValue(200)
    window.panel.window_level.setValue(300)
    assert window.state.current_levels() == (200.0, 400.0)
    assert view.image.levels is not None and tuple(view.image.levels) == (200.0, 400.0)
    window.action_map["view.modality.t1ce"].trigger()
    assert all(v.corner.text() == "T1CE" for v in window.views.views.values())


def _mm_per_px(view) -> float:  # noqa: ANN001 - a SliceView
    return view.viewbox.viewRect().width() / view.viewbox.width()


def test_zoom_and_pan_are_linked_across_the_views(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = _open(make_window, demo_root, tmp_path)
    views = window.views.views
    axial, coronal, sagittal = views["axial"], views["coronal"], views["sagittal"]
    axial.zoom(2.0)
    assert abs(_mm_per_px(coronal) - _mm_per_px(axial)) < 1e-6 * _mm_per_px(axial)
    assert abs(_mm_per_px(sagittal) - _mm_per_px(axial)) < 1e-6 * _mm_per_px(axial)
    # Pan the axial view along its screen x (left-right): the coronal view, which shares that
    # axis, follows by the same distance.
    before = coronal.viewbox.viewRect().center().x()
    start = axial.rect().center()
    drag(axial, [start, start + QtCore.QPoint(40, 0)], QtCore.Qt.MouseButton.MiddleButton)
    moved = coronal.viewbox.viewRect().center().x() - before
    assert abs(moved - (-40 * _mm_per_px(axial))) < 0.5, moved
    window.action_map["view.link"].trigger()  # off
    scale = _mm_per_px(coronal)
    axial.zoom(2.0)
    assert abs(_mm_per_px(coronal) - scale) < 1e-9, "unlinked: the others stay"


def test_any_view_can_be_the_large_one(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = _open(make_window, demo_root, tmp_path)
    views = window.views
    window.action_map["view.next_large"].trigger()
    assert views.large_plane == "coronal" and views.splitter.widget(0) is views.views["coronal"]
    assert [views.side.widget(i) for i in range(2)] == [views.views["axial"], views.views["sagittal"]]
    views.set_large("sagittal")
    assert views.splitter.widget(0) is views.views["sagittal"]
    assert views.views["sagittal"].width() > views.views["axial"].width()


def test_per_label_show_hide_and_opacity(make_window, demo_root: Path, tmp_path: Path) -> None:
    lut = styled_lut(OverlayStyle(opacity=0.5, hidden=frozenset({2}), label_opacity=((3, 0.5),)))
    assert lut[1, 3] == 128 and lut[2, 3] == 0 and lut[3, 3] == 64
    window = _open(make_window, demo_root, tmp_path)
    window.labels.shown[2].setChecked(False)
    window.labels.opacity[3].setValue(40)
    assert window.state.style.hidden == frozenset({2})
    assert window.state.style.opacity_of(3) == 0.4
    view = next(v for v in window.views.views.values() if v.overlay.isVisible())
    assert view.overlay.lut[2, 3] == 0 and view.overlay.lut[1, 3] > 0
    window.labels.shown[2].setChecked(True)
    assert view.overlay.lut[2, 3] > 0


def test_label_table_and_compare_mode(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = _open(make_window, demo_root, tmp_path)
    original = window.state.seg.copy()
    window.docks["labels"].show()
    window.docks["labels"].raise_()
    qtbot.waitUntil(lambda: bool(window.labels.rows))
    before = {row.label: row for row in window.labels.rows}
    assert before[0].voxels_original == before[0].voxels_corrected == int((original > 0).sum())
    assert before[0].dice == 1.0
    brush_background(window, 4)
    view = window.views.views["axial"]
    added = int(((window.state.seg > 0) & (original == 0)).sum())
    assert added > 0
    qtbot.waitUntil(lambda: window.labels.rows[-1].voxels_corrected == before[0].voxels_corrected + added)
    rows = {row.label: row for row in window.labels.rows}
    assert rows[3].voxels_corrected == before[3].voxels_corrected + added
    assert rows[3].voxels_original == before[3].voxels_original
    assert rows[3].dice is not None and rows[3].dice < 1.0
    assert window.labels.table.item(2, 2).text().startswith(f"{rows[3].voxels_corrected:,}\n")

    window.action_map["view.compare"].trigger()
    assert window.state.compare and window.labels.compare.isChecked()
    shown = np.asarray(view.overlay.image)
    expected = view.mapping.extract((window.state.seg > 0) & (original == 0), view.slice_index)
    assert set(np.unique(shown)) <= {0, ADDED}
    np.testing.assert_array_equal(shown == ADDED, expected)
    window.action_map["view.compare"].trigger()
    assert not window.state.compare
    assert int(np.asarray(view.overlay.image).max()) == 3, "labels again after compare mode"


def test_a_case_without_original_mask_says_so(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = _open(make_window, demo_root, tmp_path)
    window.case.files.pop("seg")  # the original is read when first needed, not at opening
    window.action_map["view.compare"].trigger()
    assert window.state.compare and window.state.original is None
    assert "no original mask" in window.statusBar().currentMessage()
    view = next(v for v in window.views.views.values() if v.overlay.isVisible())
    assert int(np.asarray(view.overlay.image).max()) > 0, "the labels stay in view"
    qtbot.waitUntil(lambda: bool(window.labels.rows))
    assert window.labels.note.isVisible() and "No original mask" in window.labels.note.text()
    assert window.labels.rows[-1].voxels_original is None
    assert window.labels.table.item(3, 1).text() == "–"


def test_the_new_keys_are_in_the_f1_sheet() -> None:
    from lrpstudio.gui.shell.shortcuts import SHORTCUTS, cheat_sheet_html

    sheet = cheat_sheet_html()
    for text in ("Compare original / corrected mask", "Link zoom and pan", "Next view as the large one"):
        assert text in sheet
    keys = [key for s in SHORTCUTS if s.kind == "action" for key in s.keys]
    assert len(keys) == len(set(keys)), "no key does two things"
