"""The Training tab's command buttons: Start, Pause/Continue, Stop, Resume run…, Reset form.

Only the buttons, their tooltips and their two-column grid (the form's column stays
narrow); the panel connects them and enables them by its state.
"""

from __future__ import annotations

from PySide6 import QtWidgets

#: (attribute, text, tooltip) of each button, in grid order.
BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("start", "Start", "Train a new run with these settings (Ctrl+Return)"),
    ("pause", "Pause", "Pause after the current batch; “Continue” then goes on with the same run, "
                       "in this session (Ctrl+P)"),
    ("stop", "Stop", "Stop after the current batch; the last finished epoch stays saved "
                     "(checkpoints/last.pt) and can be resumed (Ctrl+.)"),
    ("resume", "Resume run…", "Continue an earlier, stopped or finished run from its last "
                              "checkpoint (pick its folder)"),
    ("reset", "Reset form", "Put every training option back to its default (the form's values "
                            "are otherwise remembered from the last session)"),
)


class RunButtons(QtWidgets.QWidget):
    """The buttons in two columns; each is the attribute named in :data:`BUTTONS`."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, (name, text, tip) in enumerate(BUTTONS):
            button = QtWidgets.QPushButton(text, self)
            button.setToolTip(tip)
            setattr(self, name, button)
            grid.addWidget(button, i // 2, i % 2)

    def button(self, name: str) -> QtWidgets.QPushButton:
        """The button called ``name`` in :data:`BUTTONS`."""
        found = getattr(self, name)
        assert isinstance(found, QtWidgets.QPushButton)  # set in __init__ from BUTTONS
        return found
