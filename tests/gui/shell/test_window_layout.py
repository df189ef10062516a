"""Tabs, docks and their shortcuts; the viewer's slice label; a stale explanation says so."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from tests.gui.conftest import train_one_tiny_epoch


def _press(window: QtWidgets.QWidget, key: QtCore.Qt.Key, modifiers: QtCore.Qt.KeyboardModifier) -> None:
    """A real key press on the focused widget (shortcuts need an active window)."""
    from PySide6.QtTest import QTest

    target = QtWidgets.QApplication.focusWidget() or window
    QTest.keyClick(target, key, modifiers)


def test_side_docks_follow_the_tab_and_remember_the_users_choice(make_window, qtbot) -> None:
    window = make_window()
    window.activateWindow()
    window.tabs.setFocus()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    docks = window.docks
    assert all(not d.isHidden() for d in (docks["cases"], docks["tools"]))
    _press(window, QtCore.Qt.Key.Key_2, QtCore.Qt.KeyboardModifier.AltModifier)
    assert window.tabs.currentWidget() is window.tabs.training
    assert all(d.isHidden() for d in docks.values()), "the training tab gets the whole width"
    _press(window, QtCore.Qt.Key.Key_3, QtCore.Qt.KeyboardModifier.AltModifier)
    assert window.tabs.currentWidget() is window.tabs.runs and docks["cases"].isHidden()
    docks["cases"].show()  # the user wants the case list on the Runs tab
    _press(window, QtCore.Qt.Key.Key_1, QtCore.Qt.KeyboardModifier.AltModifier)
    assert window.tabs.currentIndex() == 0 and not docks["tools"].isHidden()
    docks["cases"].hide()  # ... but not on the Viewer
    _press(window, QtCore.Qt.Key.Key_3, QtCore.Qt.KeyboardModifier.AltModifier)
    assert not docks["cases"].isHidden()
    _press(window, QtCore.Qt.Key.Key_1, QtCore.Qt.KeyboardModifier.AltModifier)
    assert docks["cases"].isHidden()
    _press(window, QtCore.Qt.Key.Key_4, QtCore.Qt.KeyboardModifier.AltModifier)
    assert window.tabs.currentWidget() is window.tabs.similar
    assert docks["tools"].isHidden() and docks["explain"].isHidden()


def test_the_window_fits_a_laptop_screen(make_window) -> None:
    window = make_window()
    assert window.minimumSizeHint().width() <= 1280, window.minimumSizeHint()


def test_slice_label_names_the_voxel_index_like_the_rest_of_the_app(make_window, demo_root: Path,
                                                                   tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    z = int(window.state.cursor[2])
    n = window.state.shape[2]
    assert window.views.views["axial"].info.text() == f"Axial z{z} ({z + 1}/{n})"


def test_an_explanation_of_another_slice_is_marked_out_of_date(make_window, demo_root: Path,
                                                              tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    train_one_tiny_epoch(window, qtbot, pinned=2)
    window.tabs.setCurrentIndex(0)
    explain = window.explain
    explain.refresh()
    window.explain_current()
    assert explain.result is not None and not explain.stale
    x, y, z = window.state.cursor
    window.state.set_cursor((x, y, z + 1))
    assert explain.stale and "Out of date" in explain.text.text() and f"z{z + 1}" in explain.text.text()
    window.explain_current()
    assert not explain.stale
    window.state.set_cursor((x, y, z + 1))  # the same slice: still current
    assert not explain.stale
