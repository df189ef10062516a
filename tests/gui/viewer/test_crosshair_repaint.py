"""A moved crosshair leaves no copy of its old line on screen (e.g. after a case change)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

from lrpstudio.gui.viewer.overlay import CROSSHAIR_COLOUR


def _vertical_line_columns(window: QtWidgets.QWidget, view: QtWidgets.QWidget) -> list[int]:
    """Columns of the view's top strip in the crosshair colour, as the screen shows them."""
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    # The window's backing store (what is on screen), not a fresh render of the widget.
    shot = window.screen().grabWindow(window.winId()).toImage()
    top = view.mapTo(window, view.rect().topLeft())
    colour = np.array(pg.mkColor(CROSSHAIR_COLOUR).getRgb()[:3])
    strip = np.array([[QtGui.QColor(shot.pixel(top.x() + x, top.y() + y)).getRgb()[:3]
                       for x in range(view.width())] for y in range(20, 24)])
    return [int(c) for c in np.where((np.abs(strip - colour).sum(-1) < 30).any(0))[0]]


def test_case_change_and_cursor_move_leave_no_stale_crosshair(make_window, demo_root: Path,
                                                               tmp_path: Path) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    cases = sorted(p.name for p in demo_root.iterdir() if p.is_dir())
    seen: dict[str, set[int]] = {plane: set() for plane in window.views.views}

    def check() -> None:
        for plane, view in window.views.views.items():
            columns = _vertical_line_columns(window, view)
            assert columns and max(columns) - min(columns) <= 1, (plane, columns)
            seen[plane].add(columns[0])

    check()
    for case in (*cases[1:], cases[0]):
        window.browser.select(case)
        check()
    x, y, z = window.state.cursor
    window.state.set_cursor((x - 10, y - 10, z - 5))
    check()
    assert all(len(columns) > 1 for columns in seen.values())  # the lines did move
