"""Polygon / lasso, Fill options, Grow from a seed and 3D fill holes, driven through the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from tests.gui.conftest import drag, send_mouse

T = QtCore.QEvent.Type


@pytest.fixture
def window(make_window, demo_root: Path, tmp_path: Path):
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    window.views.set_active("axial")
    return window


def _at(window, dx: int, dy: int, dz: int = 0) -> tuple[int, int, int]:
    """The voxel ``(dx, dy)`` screen pixels from the axial view's brain-free corner."""
    view = window.views.views["axial"]
    m = view.mapping
    v = list(m.to_voxel(5.5, 5.5, view.slice_index + dz, window.state.shape))
    v[m.x_axis] += -dx if m.x_flip else dx
    v[m.y_axis] += -dy if m.y_flip else dy
    return v[0], v[1], v[2]


def _brain_voxel(window) -> tuple[int, int, int]:
    """A voxel of healthy brain on the shown axial slice, nearest the slice's centre."""
    z = window.views.views["axial"].slice_index
    image = window.state.images[window.state.modality][:, :, z]
    seg = window.state.seg[:, :, z]
    candidates = np.argwhere((seg == 0) & (image > np.percentile(image[image > 0], 50)))
    centre = np.array(image.shape) / 2
    x, y = candidates[np.argmin(((candidates - centre) ** 2).sum(axis=1))]
    return int(x), int(y), int(z)


def _click(view, voxel) -> None:
    pos = view.widget_pos_of(voxel)
    send_mouse(view.viewport(), T.MouseButtonPress, pos)
    send_mouse(view.viewport(), T.MouseButtonRelease, pos)


def _square(window, side: int) -> np.ndarray:
    """The axial-slice voxels of the square from the corner to (side, side), inclusive."""
    mask = np.zeros(window.state.shape, bool)
    for dx in range(side + 1):
        for dy in range(side + 1):
            mask[_at(window, dx, dy)] = True
    return mask


def test_polygon_clicks_then_enter_fill_one_undoable_step(window) -> None:
    view = window.views.views["axial"]
    window.action_map["label.2"].trigger()
    window.action_map["tool.polygon"].trigger()
    assert window.panel.options.boxes["polygon"].isVisibleTo(window.panel)
    before = window.state.seg.copy()
    corners = [_at(window, 0, 0), _at(window, 6, 0), _at(window, 6, 6), _at(window, 0, 6)]
    for corner in corners:
        _click(view, corner)
    np.testing.assert_array_equal(window.state.seg, before)  # nothing filled while drawing
    solid, dashed = window.controller.clicks.polygon._path_items(view)
    outline = view.image.mapRectFromItem(solid, solid.path().boundingRect())
    assert outline.width() == pytest.approx(6, abs=0.01) and outline.height() == pytest.approx(6, abs=0.01)
    assert not dashed.path().isEmpty()  # the closing edge is shown dashed
    # The dashed edge runs through the mouse; the outline shows only on its own slice.
    hover = _at(window, 10, 3)
    send_mouse(view.viewport(), T.MouseMove, view.widget_pos_of(hover), QtCore.Qt.MouseButton.NoButton)
    reach = view.image.mapRectFromItem(dashed, dashed.path().boundingRect())
    assert reach.width() == pytest.approx(10, abs=0.01)
    window.action_map["view.slice_up"].trigger()
    assert not solid.isVisible() and not dashed.isVisible()
    window.action_map["view.slice_down"].trigger()
    assert solid.isVisible() and dashed.isVisible()
    assert window.action_map["tool.apply_preview"].shortcut() == QtGui.QKeySequence("Return")
    window.action_map["tool.apply_preview"].trigger()  # Enter
    changed = window.state.seg != before
    np.testing.assert_array_equal(changed, _square(window, 6) & (before != 2))
    assert (window.state.seg[changed] == 2).all()
    assert solid.path().isEmpty() and not window.controller.clicks.polygon.active
    assert window.controller.session.history.undo_name() == "polygon fill"
    window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, before)
    window.action_map["edit.redo"].trigger()
    assert (window.state.seg[changed] == 2).all()


def test_double_click_closes_and_escape_cancels(window) -> None:
    view = window.views.views["axial"]
    window.action_map["label.1"].trigger()
    window.action_map["tool.polygon"].trigger()
    before = window.state.seg.copy()
    _click(view, _at(window, 0, 0))
    _click(view, _at(window, 8, 0))
    _click(view, _at(window, 0, 8))
    _click(view, _at(window, 0, 8))  # the double click's own first click adds nothing new
    pos = view.widget_pos_of(_at(window, 0, 8))
    send_mouse(view.viewport(), T.MouseButtonDblClick, pos)
    send_mouse(view.viewport(), T.MouseButtonRelease, pos)
    changed = window.state.seg != before
    assert changed[_at(window, 0, 0)] and changed[_at(window, 4, 4)] and changed[_at(window, 8, 0)]
    assert not changed[_at(window, 5, 5)]  # beyond the hypotenuse
    assert int(changed.sum()) == 45  # 9 + 8 + ... + 1 voxels of the triangle
    after = window.state.seg.copy()
    _click(view, _at(window, 10, 10))
    _click(view, _at(window, 14, 10))
    _click(view, _at(window, 14, 14))
    window.action_map["tool.cancel_preview"].trigger()  # Esc
    np.testing.assert_array_equal(window.state.seg, after)
    assert not window.controller.clicks.polygon.active


def test_lasso_drag_fills_on_release(window) -> None:
    view = window.views.views["axial"]
    window.action_map["label.3"].trigger()
    window.action_map["tool.polygon"].trigger()
    before = window.state.seg.copy()
    loop = [(0, 0), (3, 0), (6, 0), (6, 3), (6, 6), (3, 6), (0, 6), (0, 3)]
    drag(view, [view.widget_pos_of(_at(window, dx, dy)) for dx, dy in loop])
    changed = window.state.seg != before
    np.testing.assert_array_equal(changed, _square(window, 6) & (before != 3))
    assert window.controller.session.history.undo_name() == "polygon fill"


def test_fill_options_intensity_tolerance_and_3d(window) -> None:
    view = window.views.views["axial"]
    options = window.panel.options
    window.action_map["label.1"].trigger()
    window.action_map["tool.fill"].trigger()
    assert options.boxes["fill"].isVisibleTo(window.panel) and not options.boxes["grow"].isVisibleTo(window.panel)
    axis = view.mapping.slice_axis
    options.fill_3d.setChecked(True)
    before = window.state.seg.copy()
    _click(view, _at(window, 0, 0))
    changed = window.state.seg != before
    assert len(set(np.argwhere(changed)[:, axis])) > 1, "a 3D fill spreads across slices"
    window.action_map["edit.undo"].trigger()
    options.fill_3d.setChecked(False)
    options.fill_by.setCurrentIndex(options.fill_by.findData("intensity"))
    options.fill_tolerance.setValue(5.0)
    seed = _brain_voxel(window)
    image = window.state.images[window.state.modality]
    _click(view, seed)
    changed = window.state.seg != before
    assert changed.any() and set(np.argwhere(changed)[:, axis]) == {seed[axis]}
    assert (np.abs(image[changed] - image[seed]) <= 5.0).all()


def test_grow_from_seed_shows_its_range_and_grows_within_it(window) -> None:
    view = window.views.views["axial"]
    options = window.panel.options
    window.action_map["label.2"].trigger()
    window.action_map["tool.grow"].trigger()
    assert options.boxes["grow"].isVisibleTo(window.panel)
    seed = _brain_voxel(window)
    image = window.state.images[window.state.modality]
    before = window.state.seg.copy()
    _click(view, seed)
    low, high = options.grow_low.value(), options.grow_high.value()
    assert low <= image[seed] <= high and high > low
    changed = window.state.seg != before
    axis = view.mapping.slice_axis
    grown = np.argwhere(changed)
    assert len(grown) > 1 and set(grown[:, axis]) == {seed[axis]}
    assert (image[changed] >= low - 0.06).all() and (image[changed] <= high + 0.06).all()  # 1 decimal shown
    assert window.controller.session.history.undo_name() == "grow region"
    window.action_map["edit.undo"].trigger()
    # A typed range is the range used; 3D grows across slices.
    low, high = np.percentile(image[image > 0], [20, 95])  # the demo's noise is wide
    options.grow_low.setValue(float(low))
    options.grow_high.setValue(float(high))
    assert not options.grow_from_seed.isChecked()
    options.grow_3d.setChecked(True)
    _click(view, seed)
    changed = window.state.seg != before
    assert len(set(np.argwhere(changed)[:, axis])) > 1
    assert (image[changed] >= low - 0.06).all() and (image[changed] <= high + 0.06).all()


def test_fill_holes_in_3d(window) -> None:
    session = window.controller.session
    shell = np.zeros(window.state.shape, bool)
    x, y, z = _at(window, 2, 2)
    shell[x - 2:x + 3, y - 2:y + 3, z - 2:z + 3] = True
    cavity = np.zeros_like(shell)
    cavity[x - 1:x + 2, y - 1:y + 2, z - 1:z + 2] = True
    session.add_mask(shell & ~cavity, 1, "a hollow box")
    window.action_map["label.1"].trigger()
    assert not (window.state.seg[cavity] == 1).any()
    assert window.action_map["tool.fill_holes_3d"].shortcut() == QtGui.QKeySequence("Ctrl+Shift+H")
    window.action_map["tool.fill_holes_3d"].trigger()
    assert (window.state.seg[cavity] == 1).all()
    assert window.controller.session.history.undo_name() == "fill holes"


def test_tool_panel_fits_a_1366x768_window_with_every_tool(window) -> None:
    from PySide6 import QtWidgets

    window.resize(1366, 768)
    panel = window.panel
    for tool in ("navigate", "brush", "fill", "grow", "polygon"):
        window.action_map[f"tool.{tool}"].trigger()
        QtWidgets.QApplication.processEvents()
        need = panel.widget().minimumSizeHint()
        assert need.width() <= panel.viewport().width(), tool
        assert need.height() <= panel.viewport().height(), f"{tool}: the panel would scroll"


def test_polygon_on_the_coronal_view_fills_its_slice(window) -> None:
    view = window.views.views["coronal"]
    window.views.set_active("coronal")
    window.action_map["label.1"].trigger()
    window.action_map["tool.polygon"].trigger()
    m = view.mapping
    base = list(m.to_voxel(3.5, 3.5, view.slice_index, window.state.shape))

    def at(dx: int, dy: int) -> tuple[int, int, int]:
        v = list(base)
        v[m.x_axis] += -dx if m.x_flip else dx
        v[m.y_axis] += -dy if m.y_flip else dy
        return v[0], v[1], v[2]

    before = window.state.seg.copy()
    for corner in (at(0, 0), at(5, 0), at(5, 4), at(0, 4)):
        _click(view, corner)
    window.action_map["tool.apply_preview"].trigger()
    changed = np.argwhere(window.state.seg != before)
    assert len(changed) == 6 * 5 - int((before[tuple(np.array([at(dx, dy) for dx in range(6) for dy in range(5)]).T)] == 1).sum())
    assert set(changed[:, m.slice_axis]) == {view.slice_index}
