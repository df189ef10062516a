"""The running training in the main window's status bar, seen from every tab.

A compact bar with the run's name and its progress (the Training tab's own bar and
status line, mirrored): shown while a run trains or is paused, hidden otherwise. A click
brings the Training tab forward.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.training.panel import TrainingPanel

BADGE_WIDTH_PX = 220


class TrainingBadge(QtWidgets.QProgressBar):
    """Mirrors a :class:`TrainingPanel`'s progress while it trains.

    Signals
    -------
    clicked()
        The badge was clicked (show the Training tab).
    """

    clicked = QtCore.Signal()

    def __init__(self, panel: TrainingPanel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.run_name = ""
        self.setFixedWidth(BADGE_WIDTH_PX)
        self.setMaximumHeight(18)
        self.setTextVisible(True)
        self.setCursor(QtGui.QCursor(QtCore.Qt.CursorShape.PointingHandCursor))
        self.hide()
        panel.run_started.connect(self._started)
        panel.run_ended.connect(lambda _run, _how: self.hide())
        panel.progress.valueChanged.connect(lambda _v: self.sync())
        panel.state_changed.connect(lambda _state: self.sync())

    def _started(self, run: str) -> None:
        self.run_name = Path(run).name
        self.sync()
        self.show()

    def sync(self) -> None:
        """Copy the panel's progress and say what runs (paused or training)."""
        source = self.panel.progress
        self.setRange(source.minimum(), source.maximum())
        self.setValue(source.value())
        state = "paused" if self.panel.state == "paused" else "training"
        share = f"{100 * (source.value() - source.minimum()) // max(source.maximum() - source.minimum(), 1)}%"
        self.setFormat(f"{state} {share}")
        self.setToolTip(f"{self.run_name}: {self.panel.status.text()}\n(click: the Training tab)")

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.clicked.emit()
        event.accept()
