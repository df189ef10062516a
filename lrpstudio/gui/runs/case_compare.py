"""Per case, before and after a retrain, in the Runs tab: the "Cases" view beside the curves.

Select the retrained run in the table, choose the run it replaces as the baseline and
press "Score cases": both runs' best models score every tumour slice of the open data
(with its corrected masks, as the review queue does: :func:`lrpstudio.app.review.build_queue`
with a baseline) in a worker thread, and the table lists each case's mean TumorLRPScore and
share of relevance outside the mask, before → after, with the change sortable. The same
table is the Review tab's "Cases" list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtWidgets

from lrpstudio.app.review import ReviewQueue, build_queue, case_summaries
from lrpstudio.gui.common.case_table import CaseTable
from lrpstudio.gui.common.workers import Worker

if TYPE_CHECKING:
    from lrpstudio.gui.runs.view import RunsView


class CaseComparePanel(QtWidgets.QWidget):
    """The selected run against a baseline run, case by case.

    Parameters
    ----------
    view
        The Runs tab: its selection, run rows and open data are used.
    """

    def __init__(self, view: RunsView) -> None:
        super().__init__(view)
        self.view = view
        self.worker: Worker | None = None
        self.baseline = QtWidgets.QComboBox(self)
        self.baseline.setToolTip("The run before the retrain (its model gives the 'before' values)")
        self.score_button = QtWidgets.QPushButton("Score cases", self)
        self.score_button.setToolTip("Score every tumour slice of the open data with both runs' best "
                                     "models and list the cases, before → after")
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        self.note = QtWidgets.QLabel("Select the retrained run, choose its baseline, press Score cases", self)
        self.note.setWordWrap(True)
        self.table = CaseTable(self._open_case, self)
        bar = QtWidgets.QHBoxLayout()
        for widget in (QtWidgets.QLabel("baseline:", self), self.baseline, self.score_button, self.progress):
            bar.addWidget(widget)
        bar.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.score_button.clicked.connect(self.score)

    def set_runs(self, runs: list[Path]) -> None:
        """Offer ``runs`` as baselines (the current choice is kept when it is still there)."""
        current = self.baseline.currentData()
        self.baseline.clear()
        for run in runs:
            self.baseline.addItem(run.name, str(run))
        index = self.baseline.findData(current)
        self.baseline.setCurrentIndex(max(index, 0))

    def score(self) -> bool:
        """Score the selected run against the baseline in a worker; False when it cannot start."""
        runs, data = self.view.selected_runs(), self.view.data_root
        baseline = self.baseline.currentData()
        problem = ("Select one run, the retrained one (untick Group seeds to pick one seed of a group)"
                   if len(runs) != 1 else
                   "Open the data the runs were trained on first" if data is None else
                   "Choose a baseline other than the selected run" if not baseline or Path(baseline) == runs[0]
                   else "Busy: wait for the scoring" if self.worker is not None else None)
        if problem or data is None:
            self.note.setText(problem or "")
            return False
        run, before = runs[0], Path(baseline)

        def job(progress: Any, cancel: Any) -> ReviewQueue:
            return build_queue(run, data, baseline=before, progress=progress, cancel=cancel)

        self.worker = Worker(job, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._show)
        self.worker.failed.connect(lambda error: self.note.setText(f"Error: {error}"))
        self.worker.finished.connect(self._worker_done)
        self.note.setText(f"Scoring the cases with {run.name} and {before.name}…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.score_button.setEnabled(False)
        self.worker.start()
        return True

    def _show(self, queue: ReviewQueue) -> None:
        cases = case_summaries(queue)
        self.table.show_cases(cases, baseline=True)
        base = queue.baseline.name if queue.baseline is not None else "?"
        self.note.setText(f"{len(cases)} cases: {base} → {queue.run_dir.name} (mean over each case's "
                          "tumour slices; sort by Outside change to see what moved)")

    def _on_progress(self, done: int, total: int, _message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _worker_done(self) -> None:
        worker, self.worker = self.worker, None
        self.progress.hide()
        self.score_button.setEnabled(True)
        if worker is not None:
            worker.deleteLater()

    def _open_case(self, case_id: str) -> None:
        self.note.setText(f"{case_id}: open it in the Review tab's queue to see its slices")

    def wait(self, msecs: int = 120_000) -> None:
        """Cancel and wait for a scoring still running (closing the window)."""
        if self.worker is not None:
            self.worker.token.cancel()
            self.worker.wait(msecs)
