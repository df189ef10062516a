"""Editing tools driven through the window: 3D brush, resize keys, fills, islands, interpolation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.gui.conftest import drag


@pytest.fixture
def window(make_window, demo_root: Path, tmp_path: Path):
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    window.views.set_active("axial")
    return window


def _paint(window, voxels, tool: str = "tool.brush") -> np.ndarray:
    """Paint (or erase) a stroke through the axial view; returns the changed-voxel mask."""
    view = window.views.views["axial"]
    before = window.state.seg.copy()
    window.action_map[tool].trigger()
    axis = view.mapping.slice_axis
    cursor = list(window.state.cursor)
    cursor[axis] = voxels[0][axis]
    window.state.set_cursor(tuple(cursor))  # show the slice the stroke is on
    drag(view, [view.widget_pos_of(v) for v in voxels])
    return window.state.seg != before


def _corner(window, dz: int = 0) -> tuple[int, int, int]:
    """A voxel in the brain-free corner of the axial slice (background, far from tumour)."""
    view = window.views.views["axial"]
    return view.mapping.to_voxel(5.5, 5.5, view.slice_index + dz, window.state.shape)


def test_resize_keys_and_brush_ring(window, qtbot) -> None:
    window.action_map["tool.brush"].trigger()
    radius = window.panel.radius.value()
    window.action_map["tool.bigger"].trigger()
    window.action_map["tool.bigger"].trigger()
    window.action_map["tool.smaller"].trigger()
    assert window.panel.radius.value() == radius + 1
    assert window.controller.session.brush.radius == radius + 1
    view = window.views.views["axial"]
    corner = _corner(window)  # background all around: a dab there changes every voxel it covers
    view.update_brush_ring(view.widget_pos_of(corner))
    assert view.brush_ring.isVisible()
    outline = view.image.mapRectFromItem(view.brush_ring, view.brush_ring.path().boundingRect())
    before = window.state.seg.copy()
    _paint(window, [corner])
    changed = np.argwhere(window.state.seg != before)
    screen = np.array([view.mapping.to_screen(tuple(v), window.state.shape) for v in changed])
    # The outline is exactly the pixel edges around the voxels one dab paints.
    assert outline.left() == pytest.approx(screen[:, 0].min() - 0.5)
    assert outline.right() == pytest.approx(screen[:, 0].max() + 0.5)
    assert outline.top() == pytest.approx(screen[:, 1].min() - 0.5)
    assert outline.bottom() == pytest.approx(screen[:, 1].max() + 0.5)
    window.action_map["tool.navigate"].trigger()
    view.update_brush_ring(view.widget_pos_of(window.state.cursor))
    assert not view.brush_ring.isVisible()


def test_2d_and_3d_brush(window) -> None:
    window.panel.radius.setValue(2)
    axis = window.views.views["axial"].mapping.slice_axis
    flat = _paint(window, [_corner(window)])
    assert len(set(np.argwhere(flat)[:, axis])) == 1
    window.action_map["tool.toggle_3d"].trigger()
    assert window.controller.session.brush.shape == "ball"
    ball = _paint(window, [_corner(window, dz=6)])
    assert len(set(np.argwhere(ball)[:, axis])) > 1


def test_flood_fill_is_one_undo_step_in_one_slice(window) -> None:
    window.action_map["label.1"].trigger()
    before = window.state.seg.copy()
    changed = _paint(window, [_corner(window)], tool="tool.fill")
    axis = window.views.views["axial"].mapping.slice_axis
    assert changed.sum() > 100
    assert set(np.argwhere(changed)[:, axis]) == {window.views.views["axial"].slice_index}
    assert (window.state.seg[changed] == 1).all()
    window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, before)


def test_paint_over_rule_protects_other_labels(window) -> None:
    window.action_map["label.1"].trigger()
    window.panel.paint_over.setCurrentIndex(window.panel.paint_over.findData("background_only"))
    window.panel.radius.setValue(4)
    before = window.state.seg.copy()
    changed = _paint(window, [window.state.cursor])  # the cursor starts inside the tumour
    assert (before[changed] == 0).all(), "only background voxels may change"
    assert changed.sum() > 0 or (before[window.state.cursor] != 0)


def test_intensity_range_limits_painting(window) -> None:
    state = window.state
    window.action_map["label.2"].trigger()
    window.panel.radius.setValue(5)
    image = state.images[state.modality]
    lo, hi = np.percentile(image[image > 0], [40, 60])
    window.panel.range_lo.setValue(float(lo))
    window.panel.range_hi.setValue(float(hi))
    window.panel.range_on.setChecked(True)
    changed = _paint(window, [state.cursor, (state.cursor[0] + 6, state.cursor[1], state.cursor[2])])
    values = image[changed]
    assert values.size > 0
    assert ((values >= lo) & (values <= hi)).all()


def test_interpolation_preview_then_apply(window) -> None:
    window.action_map["label.3"].trigger()
    window.panel.radius.setValue(2)
    a, b = _corner(window), _corner(window, dz=4)
    _paint(window, [a])
    _paint(window, [b])
    view = window.views.views["axial"]
    axis = view.mapping.slice_axis
    seg_before = window.state.seg.copy()
    window.action_map["tool.interpolate"].trigger()
    preview = window.state.preview
    assert preview is not None and preview.any()
    middle = list(a)
    middle[axis] = (a[axis] + b[axis]) // 2
    assert preview[tuple(middle)]
    np.testing.assert_array_equal(window.state.seg, seg_before)  # nothing applied yet
    window.state.set_cursor(tuple(middle))
    assert view.preview.isVisible()
    window.action_map["tool.cancel_preview"].trigger()
    assert window.state.preview is None and not view.preview.isVisible()
    window.action_map["tool.interpolate"].trigger()
    window.action_map["tool.apply_preview"].trigger()
    assert window.state.seg[tuple(middle)] == 3
    window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, seg_before)


def test_remove_small_islands_and_keep_largest(window) -> None:
    window.action_map["label.1"].trigger()
    window.panel.radius.setValue(1)
    speck = _paint(window, [_corner(window)])
    assert speck.any()
    window.panel.island_size.setValue(int(speck.sum()) + 1)
    window.action_map["tool.remove_islands"].trigger()
    assert not (window.state.seg[speck] == 1).any()
    _paint(window, [_corner(window)])
    window.action_map["tool.keep_largest"].trigger()
    assert not (window.state.seg[speck] == 1).any()


def test_guidance_mode_paints_whole_tumour(window) -> None:
    combo = window.panel.target
    combo.setCurrentIndex(combo.findData("guidance"))
    assert window.controller.session.policy.mode == "guidance"
    changed = _paint(window, [_corner(window)])
    assert changed.any() and (window.state.seg[changed] > 0).all()
    erased = _paint(window, [_corner(window)], tool="tool.eraser")
    assert (window.state.seg[erased] == 0).all()


def test_review_status_is_kept_in_the_workspace(window, tmp_path: Path) -> None:
    case_id = window.case.id
    window.action_map["case.status_flagged"].trigger()
    assert window.browser.row_of(case_id).review == "flagged"
    from lrpstudio.core.data.workspace import open_workspace
    assert open_workspace(tmp_path / "ws").review.get(case_id) == "flagged"
    window.action_map["case.next"].trigger()
    assert window.case.id != case_id


def test_fill_holes_closes_a_ring(window) -> None:
    window.action_map["label.1"].trigger()
    window.panel.radius.setValue(0)
    view = window.views.views["axial"]
    corner = _corner(window)
    m = view.mapping

    def at(dx: int, dy: int) -> tuple[int, int, int]:
        v = list(corner)
        v[m.x_axis] += dx if not m.x_flip else -dx
        v[m.y_axis] += dy if not m.y_flip else -dy
        return v[0], v[1], v[2]

    ring = [at(dx, dy) for dx, dy in ((0, 0), (4, 0), (4, 4), (0, 4), (0, 0))]
    _paint(window, ring)
    hole = at(2, 2)
    assert window.state.seg[hole] == 0 and window.state.seg[at(0, 2)] == 1
    window.action_map["tool.fill_holes"].trigger()
    assert window.state.seg[hole] == 1


def test_zoom_pan_and_cursor_readout(window) -> None:
    from PySide6 import QtCore

    from tests.gui.conftest import send_mouse

    view = window.views.views["axial"]
    (x0, x1), _ = view.viewbox.viewRange()
    window.action_map["view.zoom_in"].trigger()
    (z0, z1), _ = view.viewbox.viewRange()
    assert (z1 - z0) < (x1 - x0) * 0.9
    window.views.set_active("axial")
    drag(view, [QtCore.QPoint(200, 200), QtCore.QPoint(260, 200)], QtCore.Qt.MouseButton.MiddleButton)
    (p0, p1), _ = view.viewbox.viewRange()
    assert p0 < z0 and p1 - p0 == __import__("pytest").approx(z1 - z0)
    window.action_map["view.reset"].trigger()
    voxel = window.state.cursor
    send_mouse(view.viewport(), QtCore.QEvent.Type.MouseMove, view.widget_pos_of(voxel),
               QtCore.Qt.MouseButton.NoButton)
    text = window.readout.text()
    assert f"({voxel[0]}, {voxel[1]}, {voxel[2]})" in text
    assert f"flair {float(window.state.images['flair'][voxel]):.0f}" in text
    assert f"label {int(window.state.seg[voxel])}" in text


def test_open_a_workspace_folder_reopens_its_data(make_window, demo_root: Path, tmp_path: Path) -> None:
    first = make_window()
    first.open_path(demo_root, tmp_path / "ws")
    second = make_window()
    second.open_path(tmp_path / "ws")
    assert second.data.root.resolve() == demo_root.resolve()
    assert second.case is not None


def test_120_undo_steps_across_slices(window) -> None:
    window.action_map["label.2"].trigger()
    window.panel.radius.setValue(1)
    view = window.views.views["axial"]
    axis = view.mapping.slice_axis
    original = window.state.seg.copy()
    n_slices = window.state.shape[axis]
    for i in range(120):
        voxel = list(_corner(window))
        voxel[axis] = i % n_slices
        voxel[view.mapping.x_axis] += (i // n_slices) * 3
        _paint(window, [tuple(voxel)], tool="tool.brush" if i % 3 else "tool.eraser")
        if i % 3 == 0:  # an eraser step over background changes nothing: paint instead
            _paint(window, [tuple(voxel)])
    history = window.controller.session.history
    assert len(history) >= 120
    # Only changed voxels are stored: far less than one volume per step.
    assert history.nbytes() < 120 * original.size / 20
    edited = window.state.seg.copy()
    while window.action_map["edit.undo"].isEnabled():
        window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, original)
    while window.action_map["edit.redo"].isEnabled():
        window.action_map["edit.redo"].trigger()
    np.testing.assert_array_equal(window.state.seg, edited)
