"""View > Pinned slices…: the workspace's pinned slices, to go to or to unpin.

Slices pinned with **P** are explained first in every epoch of the next training run
(Fig. 7). The dialog lists them in pin order; *Go to* shows one in the viewer, *Unpin*
removes it from the workspace's ``pins.json``. It reads the open data each time it is
shown, so it never lists the pins of a folder closed since.
"""

from __future__ import annotations

from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.data_source import DataSource

PIN_ROLE = QtCore.Qt.ItemDataRole.UserRole


class PinsDialog(QtWidgets.QDialog):
    """The pinned slices of the open data, with Go to and Unpin.

    Signals
    -------
    go_to(str, int)
        The case and axial slice to show.
    """

    go_to = QtCore.Signal(str, int)

    def __init__(self, source: Callable[[], DataSource | None],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pinned slices")
        self._source = source
        self.note = QtWidgets.QLabel("", self)
        self.note.setWordWrap(True)
        self.list = QtWidgets.QListWidget(self)
        self.list.itemDoubleClicked.connect(lambda _item: self.go_to_selected())
        buttons = QtWidgets.QDialogButtonBox(self)
        self.go_button = buttons.addButton("Go to", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.unpin_button = buttons.addButton("Unpin", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.go_button.clicked.connect(self.go_to_selected)
        self.unpin_button.clicked.connect(self.unpin_selected)
        close.clicked.connect(self.close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(360, 320)

    def refresh(self) -> None:
        """List the open data's pins (or say that no data is open)."""
        self.list.clear()
        source = self._source()
        pins = source.pins() if source is not None else ()
        for case_id, z in pins:
            item = QtWidgets.QListWidgetItem(f"{case_id}  z{z}")
            item.setData(PIN_ROLE, (case_id, int(z)))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.note.setText("Open a data folder to see its pinned slices" if source is None else
                          "No slice is pinned: press P in the viewer to pin the axial slice shown"
                          if not pins else "Explained first in every epoch of the next training run")
        for button in (self.go_button, self.unpin_button):
            button.setEnabled(bool(pins))

    def selected(self) -> tuple[str, int] | None:
        """The selected pin, or None."""
        item = self.list.currentItem()
        return None if item is None else item.data(PIN_ROLE)

    def go_to_selected(self) -> None:
        """Show the selected pinned slice in the viewer."""
        pin = self.selected()
        if pin is not None:
            self.go_to.emit(pin[0], pin[1])

    def unpin_selected(self) -> None:
        """Remove the selected pin from the workspace."""
        pin, source = self.selected(), self._source()
        if pin is not None and source is not None:
            source.unpin(*pin)
        self.refresh()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt API
        self.refresh()
        super().showEvent(event)


def add_pins_menu_item(menu: QtWidgets.QMenu, after: QtGui.QAction, dialog: PinsDialog) -> QtGui.QAction:
    """A "Pinned slices…" item after ``after`` (the pin action) that shows ``dialog``."""
    actions = menu.actions()
    index = actions.index(after) + 1 if after in actions else len(actions)
    item = QtGui.QAction("Pinned slices…", menu)
    item.setToolTip("The slices pinned for training: go to one, or unpin it")
    if index < len(actions):
        menu.insertAction(actions[index], item)
    else:
        menu.addAction(item)
    item.triggered.connect(lambda: _show(dialog))
    return item


def _show(dialog: QtWidgets.QDialog) -> None:
    dialog.show()
    dialog.raise_()
