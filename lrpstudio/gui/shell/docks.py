"""The side docks: how one is made, and which ones each central tab shows.

The case list, the editing tools and the Explain dock belong to the Viewer; on the
Training, Runs and Similar-cases tabs they only took width from the curves, tables and
neighbour grids, and together they made the window wider than a laptop screen. Each tab
remembers what the user last showed or hid on it.
"""

from __future__ import annotations

from typing import Mapping

from PySide6 import QtCore, QtWidgets


class TabDocks(QtCore.QObject):
    """Shows and hides dock widgets as the current tab changes.

    Parameters
    ----------
    tabs
        The central tab widget.
    docks
        The docks managed, by name.
    hidden_on
        Tab titles on which all managed docks start hidden.
    """

    def __init__(self, tabs: QtWidgets.QTabWidget, docks: Mapping[str, QtWidgets.QDockWidget],
                 hidden_on: tuple[str, ...]) -> None:
        super().__init__(tabs)
        self.tabs, self.docks = tabs, dict(docks)
        self._hidden_on = hidden_on
        self._shown: dict[str, dict[str, bool]] = {}  # tab title -> dock name -> visible
        self._current = tabs.tabText(tabs.currentIndex())
        tabs.currentChanged.connect(self._on_tab)

    def visible_on(self, title: str) -> dict[str, bool]:
        """What the docks show on tab ``title`` (remembered, or the default)."""
        default = title not in self._hidden_on
        return self._shown.get(title, {name: default for name in self.docks})

    def _on_tab(self, index: int) -> None:
        self._shown[self._current] = {name: not dock.isHidden() for name, dock in self.docks.items()}
        self._current = self.tabs.tabText(index)
        for name, visible in self.visible_on(self._current).items():
            self.docks[name].setVisible(visible)


def add_dock(window: QtWidgets.QMainWindow, title: str, name: str, widget: QtWidgets.QWidget,
             area: QtCore.Qt.DockWidgetArea) -> QtWidgets.QDockWidget:
    """A movable (not closable, not floating) dock named ``name`` holding ``widget``, added to ``window``."""
    dock = QtWidgets.QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
    window.addDockWidget(area, dock)
    return dock


def build_docks(window: QtWidgets.QMainWindow, cases: QtWidgets.QWidget, tools: QtWidgets.QWidget,
                explain: QtWidgets.QWidget) -> dict[str, QtWidgets.QDockWidget]:
    """The case list on the left; the tools on the right with the Explain dock behind them.

    Returns the docks by name: ``cases``, ``tools``, ``explain``.
    """
    area = QtCore.Qt.DockWidgetArea
    left = add_dock(window, "Cases", "cases_dock", cases, area.LeftDockWidgetArea)
    right = add_dock(window, "Tools", "tools_dock", tools, area.RightDockWidgetArea)
    left.setMinimumWidth(260)  # the case table needs room for id, grade and status
    window.resizeDocks([left, right], [330, 300], QtCore.Qt.Orientation.Horizontal)
    # The Explain dock's settings are taller than a 768 px screen leaves it: it scrolls, so
    # its height never sets the window's minimum height.
    scroll = QtWidgets.QScrollArea(window)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setWidget(explain)
    behind = add_dock(window, "Explain", "explain_dock", scroll, area.RightDockWidgetArea)
    window.tabifyDockWidget(right, behind)
    right.raise_()
    return {"cases": left, "tools": right, "explain": behind}


def add_labels_dock(window: QtWidgets.QMainWindow, labels: QtWidgets.QWidget,
                    tools: QtWidgets.QDockWidget) -> QtWidgets.QDockWidget:
    """The Labels dock (label table, compare mode), a tab beside the Tools dock."""
    dock = add_dock(window, "Labels", "labels_dock", labels, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(tools, dock)
    tools.raise_()
    return dock
