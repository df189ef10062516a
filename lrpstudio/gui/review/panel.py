"""The Review tab: a run's queue of slices where the model looks outside the mask.

Pick a run (and optionally a baseline run for before → after), build the queue in the
background (:func:`lrpstudio.app.review.build_queue`, progress and Cancel), sort the
table, open an entry (Enter or double-click): the viewer shows the case at that slice
with the relevance layer on and the largest outside component outlined
(:class:`~lrpstudio.gui.review.entry.EntryReview` handles the entry and the verdicts).
States and verdicts are kept in the workspace (:class:`lrpstudio.app.verdicts.QueueStateStore`),
so they are there again when the queue is rebuilt or the app reopened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.review import ReviewQueue, build_queue, case_summaries
from lrpstudio.app.verdicts import QueueStateStore
from lrpstudio.gui.common.run_box import fill_run_box
from lrpstudio.gui.common.workers import Worker
from lrpstudio.gui.review.entry import EntryReview
from lrpstudio.gui.review.host import ReviewHost
from lrpstudio.gui.common.case_table import CaseTable
from lrpstudio.gui.review.queue_table import SORT_ROLE, QueueTableModel



class ReviewPanel(QtWidgets.QWidget):
    """The Review tab.

    Parameters
    ----------
    host
        The main window's side (:class:`~lrpstudio.gui.review.host.ReviewHost`).
    """

    def __init__(self, host: ReviewHost, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.runs_dir: Path | None = None
        self.queue: ReviewQueue | None = None
        self.worker: Worker | None = None
        self.model = QueueTableModel(self)
        self._build()
        self.entry = EntryReview(self, host)

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.run_box, self.baseline_box = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        self.run_box.setToolTip("The run whose model scores the slices (its best checkpoint)")
        self.baseline_box.setToolTip("Optional: an earlier run, for the score and outside share before → after")
        self.build_button = QtWidgets.QPushButton("Build queue")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m slices")
        self.progress.hide()
        top = QtWidgets.QHBoxLayout()
        for label, widget in (("Run", self.run_box), ("Baseline", self.baseline_box)):
            top.addWidget(QtWidgets.QLabel(label))
            top.addWidget(widget, 1)
        for button in (self.build_button, self.cancel_button):
            top.addWidget(button)
        self.table = QtWidgets.QTableView()
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, QtCore.Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.text = QtWidgets.QLabel("Choose a run and build its queue: the slices where the model's "
                                     "relevance lies outside the tumour mask come first.")
        self.text.setWordWrap(True)
        self.side = QtWidgets.QWidget()  # the entry's box (filled by EntryReview)
        self.cases = CaseTable(self.open_case)
        self.lists = QtWidgets.QTabWidget()  # the queue by slice, and by case (before → after)
        self.lists.addTab(self.table, "Slices")
        self.lists.addTab(self.cases, "Cases")
        body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        body.addWidget(self.lists)
        body.addWidget(self.side)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.text)
        layout.addWidget(body, 1)
        self.build_button.clicked.connect(self._guarded_build)
        self.cancel_button.clicked.connect(self.cancel)
        self.table.activated.connect(lambda index: self.entry.open_row(self.proxy.mapToSource(index).row()))
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda index: self.entry.open_row(self.proxy.mapToSource(index).row()))

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        """Enter in the table opens the entry: claim the key before the window's Return
        shortcut (apply the interpolation preview) takes it."""
        if watched is self.table and event.type() == QtCore.QEvent.Type.ShortcutOverride:
            key = event.key()  # type: ignore[attr-defined]
            if key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
                event.accept()
                return True
        return super().eventFilter(watched, event)

    # -- runs --------------------------------------------------------------------------------
    def set_runs_dir(self, path: str | Path) -> None:
        """Offer the runs under ``path``."""
        self.runs_dir = Path(path)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the runs (a run ended, or the data changed)."""
        fill_run_box(self.run_box, self.runs_dir)
        baseline = self.baseline_box.currentData()
        self.baseline_box.clear()
        self.baseline_box.addItem("(none)", None)
        for i in range(self.run_box.count()):
            self.baseline_box.addItem(self.run_box.itemText(i), self.run_box.itemData(i))
        index = self.baseline_box.findData(baseline)
        self.baseline_box.setCurrentIndex(max(index, 0))

    @property
    def run_name(self) -> str | None:
        """The name of the queue's run (the key of its states in the workspace)."""
        return None if self.queue is None else self.queue.run_dir.name

    def store(self) -> QueueStateStore | None:
        """The workspace's queue states (None without a workspace)."""
        workspace = self.host.data()[1]
        return None if workspace is None else QueueStateStore(workspace)

    # -- building ----------------------------------------------------------------------------
    def _guarded_build(self) -> None:
        try:
            self.build()
        except Exception as error:  # noqa: BLE001 - shown, not raised into Qt
            self.text.setText(f"Error: {error}")

    def build(self) -> bool:
        """Build the chosen run's queue in the background; False when it cannot start."""
        run, baseline = self.run_box.currentData(), self.baseline_box.currentData()
        source = self.host.data()[0]
        if run is None or source is None or self.worker is not None:
            self.text.setText("Open a data folder and choose a trained run first.")
            return False
        baseline = None if baseline in (None, run) else baseline

        def job(progress: Any, cancel: Any) -> ReviewQueue:
            return build_queue(run, source, baseline=baseline, progress=progress, cancel=cancel)

        self.worker = Worker(job, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(lambda w=self.worker: self._on_built(w))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.build_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.text.setText(f"Scoring the tumour slices with {Path(run).name}…")
        self.worker.start()
        return True

    def cancel(self) -> None:
        """Stop building the queue."""
        if self.worker is not None:
            self.worker.token.cancel()
            self.text.setText("Cancelling…")

    def _on_progress(self, done: int, total: int, _message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_built(self, worker: Worker) -> None:
        self.worker = None
        worker.deleteLater()
        self.progress.hide()
        self.build_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if worker.error is not None:
            cancelled = type(worker.error).__name__ == "CancelledError"
            self.text.setText("Cancelled." if cancelled else f"Error: {worker.error}")
            return
        self.show_queue(worker.result)

    def show_queue(self, queue: ReviewQueue) -> None:
        """Show ``queue`` with the states the workspace holds for its run."""
        self.queue = queue
        store = self.store()
        states = store.all(queue.run_dir.name) if store is not None else {}
        self.model.set_queue(list(queue.entries), states, queue.baseline is not None)
        self.table.resizeColumnsToContents()
        self.cases.show_cases(case_summaries(queue), queue.baseline is not None)
        done = sum(1 for e in queue.entries if e.key in states and states[e.key].state != "open")
        before = f"; before → after against {queue.baseline.name}" if queue.baseline is not None else ""
        self.text.setText(f"{len(queue.entries)} tumour slices scored by {queue.run_dir.name}, "
                          f"{done} reviewed{before}. Enter or double-click opens an entry in the viewer.")
        if queue.entries:
            self.table.selectRow(0)
            self.table.setFocus()

    def wait(self, msecs: int = 120_000) -> None:
        """Cancel and wait for a queue build still running (closing the window)."""
        if self.worker is not None:
            self.worker.token.cancel()
            self.worker.wait(msecs)
        self.entry.wait(msecs)

    # -- rows --------------------------------------------------------------------------------
    def open_case(self, case_id: str) -> None:
        """Show the slices list at the case's first entry and open it in the viewer."""
        row = next((i for i, e in enumerate(self.model.entries) if e.case_id == case_id), None)
        if row is None:
            return
        self.lists.setCurrentWidget(self.table)
        self.select_source_row(row)
        self.entry.open_row(row)

    def select_source_row(self, row: int) -> None:
        """Select the table row of model row ``row``."""
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)

    def next_open_row(self, after: int) -> int | None:
        """The next open entry below model row ``after`` in the table's order (wrapping), or None."""
        order = [self.proxy.mapToSource(self.proxy.index(r, 0)).row() for r in range(self.proxy.rowCount())]
        if after in order:
            start = order.index(after) + 1
            order = order[start:] + order[:start]
        return next((row for row in order if row != after and self.model.state(row).state == "open"), None)
