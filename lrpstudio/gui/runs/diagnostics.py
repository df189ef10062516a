"""A run's confusion matrix and ROC curve (with its AUC) in the Runs tab.

For the selected run, the recorded result on the chosen split (validation or test) is
shown at once; "Measure" evaluates the run's best model in a worker thread, with
progress (the button turns into "Cancel" meanwhile), and records the result in the run folder
(:func:`lrpstudio.app.evaluations.run_diagnostics`), so it is there after a relaunch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.evaluations import recorded_evaluation, run_diagnostics
from lrpstudio.core.errors import CancelledError
from lrpstudio.gui.common.workers import Worker

if TYPE_CHECKING:
    from lrpstudio.gui.runs.view import RunsView

GRADE_NAMES = ("LGG", "HGG")
ROC_COLOUR = "#0072B2"


class DiagnosticsPanel(QtWidgets.QWidget):
    """Confusion matrix (rows true grade, columns predicted) and ROC of one run.

    Parameters
    ----------
    view
        The Runs tab: its selection, loader and open data are used.
    """

    MEASURE_TIP = "Evaluate the selected run's best model on the split (kept in the run folder)"

    def __init__(self, view: RunsView) -> None:
        super().__init__(view)
        self.view = view
        self.run: Path | None = None
        self.result: dict[str, Any] | None = None
        self.worker: Worker | None = None
        self.split = QtWidgets.QComboBox(self)
        self.split.addItems(["val", "test"])
        self.split.setToolTip("The split the run's best model is measured on")
        self.measure_button = QtWidgets.QPushButton("Measure", self)
        self.measure_button.setToolTip(self.MEASURE_TIP)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        self.note = QtWidgets.QLabel("Select one run", self)
        self.note.setWordWrap(True)
        self.matrix = QtWidgets.QTableWidget(2, 2, self)
        self.matrix.setHorizontalHeaderLabels([f"pred {g}" for g in GRADE_NAMES])
        self.matrix.setVerticalHeaderLabels([f"true {g}" for g in GRADE_NAMES])
        self.matrix.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        # Two rows of counts, as tall as a few lines of text: a table, not a picture.
        row_height = 3 * self.matrix.fontMetrics().height()
        self.matrix.verticalHeader().setDefaultSectionSize(row_height)
        self.matrix.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matrix.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matrix.setFixedHeight(2 * row_height + self.matrix.horizontalHeader().sizeHint().height() + 4)
        self.matrix.setFixedWidth(230)
        self.roc = pg.PlotWidget(self, background="w")
        self._build_roc()
        self._layout()
        self.split.currentIndexChanged.connect(lambda _i: self.show_run(self.run))
        self.measure_button.clicked.connect(self._measure_or_cancel)

    def _build_roc(self) -> None:
        plot = self.roc.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "false positive rate")
        plot.setLabel("left", "true positive rate")
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(0, 1, padding=0.02)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        self.roc.setToolTip("HGG is the positive class: true positive rate = HGG slices called HGG, "
                            "false positive rate = LGG slices called HGG, as the P(HGG) threshold falls")
        self.roc.setMinimumSize(220, 180)

    def _layout(self) -> None:
        bar = QtWidgets.QHBoxLayout()
        for widget in (QtWidgets.QLabel("split:", self), self.split, self.measure_button, self.progress):
            bar.addWidget(widget)
        bar.addStretch(1)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.matrix)
        left.addStretch(1)
        body = QtWidgets.QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.roc, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)

    # -- showing ----------------------------------------------------------------------------
    def _best_epoch(self, run: Path) -> int:
        row = next((r for r in self.view.rows if r["path"] == str(run)), {})
        return int(row.get("best_epoch", 0))

    def show_run(self, run: Path | None) -> None:
        """Show ``run``'s recorded result on the chosen split (or say how to get one)."""
        self.run = run
        if run is None:
            self._show(None, "Select one run to see its confusion matrix and ROC")
            return
        data = self.view.data_root
        recorded = (recorded_evaluation(run, data, self._best_epoch(run), self.split.currentText())
                    if data is not None else None)
        if recorded is None or not isinstance(recorded.get("roc"), dict):
            self._show(None, f"{run.name}: press Measure to evaluate its best model on "
                             f"{self.split.currentText()}")
            return
        self._show(recorded, "")

    def _show(self, result: dict[str, Any] | None, note: str) -> None:
        self.result = result
        matrix = np.zeros((2, 2), dtype=int) if result is None else np.asarray(result["confusion_matrix"])
        for i in range(2):
            for j in range(2):
                item = QtWidgets.QTableWidgetItem("" if result is None else str(int(matrix[i, j])))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                if result is not None and i == j:
                    item.setBackground(QtGui.QColor("#dcefdc"))  # the correct calls
                self.matrix.setItem(i, j, item)
        plot = self.roc.getPlotItem()
        plot.clear()
        plot.plot([0, 1], [0, 1], pen=pg.mkPen("#999999", width=1, style=QtCore.Qt.PenStyle.DashLine))
        text_colour = self.palette().color(QtGui.QPalette.ColorRole.WindowText).name()
        if result is None:
            plot.setTitle("ROC", color=text_colour)
        else:
            roc = result["roc"]
            plot.plot(roc["fpr"], roc["tpr"], pen=pg.mkPen(ROC_COLOUR, width=2))
            auc = roc.get("auc")
            auc_text = "n/a (one grade only)" if auc is None else f"{auc:.3f}"
            plot.setTitle(f"ROC on {result.get('split', '')}, AUC {auc_text}", color=text_colour)
            note = note or (f"{result.get('slices', '')} slices, best epoch {result.get('epoch', '')}; "
                            "rows: true grade, columns: predicted")
        self.note.setText(note)

    # -- measuring --------------------------------------------------------------------------
    def _measure_or_cancel(self) -> None:
        if self.worker is not None:
            self.cancel()
        else:
            self.measure()

    def cancel(self) -> None:
        """Stop the measurement at its next batch; nothing is recorded."""
        if self.worker is not None:
            self.worker.token.cancel()
            self.measure_button.setEnabled(False)  # until the worker has stopped
            self.note.setText("Cancelling…")

    def measure(self) -> bool:
        """Evaluate the shown run on the chosen split in a worker thread; False when it cannot."""
        run, loader, data = self.run, self.view.loader, self.view.data_root
        problem = ("Select one run first" if run is None else
                   "Open the data the run was trained on first" if loader is None or data is None else
                   "Busy: wait for the measurement" if self.worker is not None else None)
        if problem or run is None or loader is None or data is None:
            self.note.setText(problem or "")
            return False
        split, best = self.split.currentText(), self._best_epoch(run)
        self.worker = Worker(lambda progress, cancel: run_diagnostics(run, loader, data, best, split,
                                                                      progress, cancel), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(lambda result: self._done(run, result))
        self.worker.failed.connect(self._failed)
        self.worker.finished.connect(self._worker_done)
        self.note.setText(f"Measuring {run.name} on {split}…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.measure_button.setText("Cancel")
        self.measure_button.setToolTip("Stop the measurement (nothing is recorded)")
        self.worker.start()
        return True

    def _failed(self, error: BaseException) -> None:
        self.note.setText("Measurement cancelled; nothing recorded" if isinstance(error, CancelledError)
                          else f"Error: {error}")

    def _on_progress(self, done: int, total: int, _message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, run: Path, result: dict[str, Any]) -> None:
        if run == self.run:  # the selection may have moved on meanwhile
            self._show(result, "")

    def _worker_done(self) -> None:
        worker, self.worker = self.worker, None
        self.progress.hide()
        self.measure_button.setText("Measure")
        self.measure_button.setToolTip(self.MEASURE_TIP)
        self.measure_button.setEnabled(True)
        if worker is not None:
            worker.deleteLater()
