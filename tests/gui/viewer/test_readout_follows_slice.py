"""The voxel readout follows a slice change under a still mouse (PageUp/PageDown, wheel)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from tests.gui.conftest import send_mouse


def test_readout_follows_the_slice_under_a_still_mouse(make_window, demo_root: Path,
                                                       tmp_path: Path) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    view = window.views.views["axial"]
    axis = view.mapping.slice_axis
    voxel = window.state.cursor
    pos = view.widget_pos_of(voxel)
    send_mouse(view.viewport(), QtCore.QEvent.Type.MouseMove, pos, QtCore.Qt.MouseButton.NoButton)
    assert f"({voxel[0]}, {voxel[1]}, {voxel[2]})" in window.readout.text()

    window.views.set_active("axial")
    window.views.step_slice(1)  # what PageUp does
    moved = list(voxel)
    moved[axis] += 1
    assert f"({moved[0]}, {moved[1]}, {moved[2]})" in window.readout.text()

    wheel = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(view.viewport().mapToGlobal(pos)),
                              QtCore.QPoint(), QtCore.QPoint(0, -120), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
                              False)
    QtWidgets.QApplication.sendEvent(view.viewport(), wheel)
    assert f"({voxel[0]}, {voxel[1]}, {voxel[2]})" in window.readout.text()
