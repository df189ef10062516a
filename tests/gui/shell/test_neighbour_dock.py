"""Opening a neighbour from Similar cases shows the (now out-of-date) Explain dock in front,
not the Tools dock tabbed with it."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from lrpstudio.gui.shell.prompts import ScriptedPrompter


def _front_dock(window) -> str:
    """The title of the dock in front among the tabbed Tools and Explain docks."""
    bar = next(b for b in window.findChildren(QtWidgets.QTabBar)
               if {"Tools", "Explain"} <= {b.tabText(i) for i in range(b.count())})
    return bar.tabText(bar.currentIndex())


def test_a_neighbour_opened_raises_the_explain_dock(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = make_window(ScriptedPrompter())
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    window.action_map["tool.brush"].trigger()  # a tool key puts the Tools dock in front
    assert _front_dock(window) == "Tools"
    window.tabs.setCurrentWidget(window.tabs.similar)
    other = window.browser.rows[-1].case_id
    window.tabs.similar.open_requested.emit(other, 5)
    assert window.case is not None and window.case.id == other
    assert window.tabs.currentIndex() == 0 and window.state.cursor[2] == 5
    assert _front_dock(window) == "Explain"
