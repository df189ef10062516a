"""Window actions and menus, built from the one shortcut table.

Every entry of :data:`lrpstudio.gui.shell.shortcuts.SHORTCUTS` of kind ``action`` becomes a
QAction with its keys and a tooltip naming them; menus list the same actions, so the
menu, the keys, the tool-panel buttons and the Help cheat-sheet never disagree.
"""

from __future__ import annotations

from typing import Callable, Mapping

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.core.paths import resources_root
from lrpstudio.gui.shell.settings import RecentList
from lrpstudio.gui.shell.shortcuts import SHORTCUTS, tooltip

#: Action id -> icon file (resources/icons/<name>.svg).
ICONS: dict[str, str] = {
    "tool.navigate": "navigate", "tool.brush": "brush", "tool.eraser": "eraser",
    "tool.fill": "fill", "edit.undo": "undo", "edit.redo": "redo", "file.save": "save",
    "file.open_folder": "open",
}
CHECKABLE: frozenset[str] = frozenset({
    "tool.navigate", "tool.brush", "tool.eraser", "tool.fill", "tool.grow", "tool.polygon",
    "tool.toggle_3d",
    "view.overlay", "view.outline", "view.compare", "view.link",
    *(f"view.modality.{m}" for m in MODALITIES)})
#: Mutually exclusive groups.
EXCLUSIVE: tuple[tuple[str, ...], ...] = (
    ("tool.navigate", "tool.brush", "tool.eraser", "tool.fill", "tool.grow", "tool.polygon"),
    tuple(f"view.modality.{m}" for m in MODALITIES),
)


def build_actions(owner: QtWidgets.QWidget, handlers: Mapping[str, Callable[[], object]],
                  guard: Callable[[Callable[[], object]], None]) -> dict[str, QtGui.QAction]:
    """One QAction per table entry, added to ``owner`` (so keys work window-wide).

    Parameters
    ----------
    owner
        The main window.
    handlers
        Action id -> function; ids without one are connected by their owner later
        (the editing controller connects the tool and edit actions).
    guard
        Runs a handler inside the window's error boundary.
    """
    actions: dict[str, QtGui.QAction] = {}
    for s in SHORTCUTS:
        if s.kind != "action":
            continue
        action = QtGui.QAction(s.text, owner)
        action.setShortcuts([QtGui.QKeySequence(k) for k in s.keys])
        action.setToolTip(tooltip(s.id))
        action.setCheckable(s.id in CHECKABLE)
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        if s.id in handlers:
            action.triggered.connect(lambda _c=False, f=handlers[s.id]: guard(f))
        owner.addAction(action)
        actions[s.id] = action
    for ids in EXCLUSIVE:
        group = QtGui.QActionGroup(owner)
        for action_id in ids:
            group.addAction(actions[action_id])
    for action_id, name in ICONS.items():
        icon = resources_root() / "icons" / f"{name}.svg"
        if icon.exists():
            actions[action_id].setIcon(QtGui.QIcon(str(icon)))
    actions["tool.navigate"].setChecked(True)
    actions["view.overlay"].setChecked(True)
    actions["view.link"].setChecked(True)  # linked zoom and pan by default
    return actions


def build_menus(window: QtWidgets.QMainWindow,
                actions: Mapping[str, QtGui.QAction]) -> dict[str, QtWidgets.QMenu]:
    """The menu bar (File, Cases, Edit, Tools, View, Help); returns the menus by name."""
    bar = window.menuBar()
    menus: dict[str, QtWidgets.QMenu] = {}
    for s in SHORTCUTS:
        if s.kind == "action" and not s.id.startswith("help."):
            group = {"Labels": "Tools"}.get(s.group, s.group)
            if group not in menus:
                menus[group] = bar.addMenu(f"&{group}")
            menus[group].addAction(actions[s.id])
    menus["Help"] = bar.addMenu("&Help")
    menus["Help"].addAction(actions["help.cheatsheet"])
    return menus


class RecentMenu(QtWidgets.QMenu):
    """File > Open recent: the recent folders, refilled each time it opens.

    Signals
    -------
    chosen(object)
        The folder (a Path) the user picked.
    """

    chosen = QtCore.Signal(object)

    def __init__(self, recent: RecentList, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Open &recent", parent)
        self.recent = recent
        self.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        """List the recent folders (or say there are none)."""
        self.clear()
        for path in self.recent.items():
            self.addAction(str(path)).triggered.connect(lambda _c=False, p=path: self.chosen.emit(p))
        if not self.actions():
            self.addAction("(none)").setEnabled(False)
