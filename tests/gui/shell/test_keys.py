"""Real key presses reach the actions (QAction shortcuts), as a user's keyboard would."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore


def test_keys_drive_tools_modalities_and_slices(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    window.activateWindow()
    view = window.views.views["axial"]
    view.setFocus()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_B)
    assert window.controller.tool == "brush"
    qtbot.keyClick(view, QtCore.Qt.Key.Key_BracketRight)
    assert window.panel.radius.value() == 4
    qtbot.keyClick(view, QtCore.Qt.Key.Key_2)
    assert window.state.modality == "t1ce"
    window.views.set_active("axial")
    before = window.state.cursor[view.mapping.slice_axis]
    qtbot.keyClick(view, QtCore.Qt.Key.Key_PageUp)
    assert window.state.cursor[view.mapping.slice_axis] == min(before + 10, window.state.shape[view.mapping.slice_axis] - 1)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_V)
    assert window.controller.tool == "navigate"
    # Typing in the filter box types, it does not switch tools.
    window.browser.filter.setFocus()
    qtbot.keyClicks(window.browser.filter, "b")
    assert window.controller.tool == "navigate" and window.browser.filter.text() == "b"
