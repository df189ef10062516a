"""The Runs tab: every run of the workspace in a sortable table; compare selected runs.

Comparing shows the selected runs' curves overlaid (one metric at a time) and a Fig. 5
grid: for the same slices, the input, the tumour mask, then each selected model's
heatmap with its TumorLRPScore and prediction. The grid's heatmaps are computed in a
worker thread; the table, the overlay and the grid export as CSV / Markdown / PNG.
A run's saved Fig. 7 heatmaps open in a window (Heatmaps… or a double-click).
Runs of one configuration over several seeds share a row (mean ± sd) and one mean
curve with a ± sd band while "Group seeds" is ticked (:mod:`lrpstudio.app.run_groups`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.curves import mean_epoch_times
from lrpstudio.app.compare import DatasetLoader, comparison_arrays, evaluate_runs, heatmap_inputs
from lrpstudio.app.evaluations import evaluate_and_record, recorded_evaluation
from lrpstudio.app.run_groups import mean_curve
from lrpstudio.app.run_info import image_size, pinned_slices, saved_heatmap_files
from lrpstudio.app.run_summaries import (
    METRICS, counted, find_runs, short_labels, size_problem, summarize_all,
)
from lrpstudio.app.slices import ViewerSlice
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.gui.common.workers import Worker
from lrpstudio.gui.runs.admin import RunAdmin
from lrpstudio.gui.runs.case_compare import CaseComparePanel
from lrpstudio.gui.runs.diagnostics import DiagnosticsPanel
from lrpstudio.gui.runs.compare import (
    EpochAxis, Fig5Grid, HeatmapsDialog, draw_band, draw_run, heatmaps_dialog, write_pictures, write_table,
)
from lrpstudio.gui.runs.table_view import RunsTable
#: Overlay metric (the metrics.csv column) -> its axis label.
OVERLAY_METRICS: dict[str, str] = {
    "val_accuracy": "validation accuracy", "val_balanced_accuracy": "validation balanced accuracy",
    "val_f1_macro": "validation F1 (macro)", "val_f1_weighted": "validation F1 (weighted)",
    "val_predicted_hgg": "validation share predicted HGG",
    "val_score_lgg": "validation TumorLRPScore, LGG", "val_score_hgg": "validation TumorLRPScore, HGG",
    "val_total": "validation loss", "train_total": "training loss", "train_accuracy": "training accuracy"}
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _apply_evaluation(row: dict[str, Any], metrics: dict[str, Any]) -> None:
    """A run's row shows its test results instead of the best epoch's validation numbers."""
    row.update({k: float(metrics.get(k, math.nan)) for k in METRICS}, split="test",
               collapse=metrics.get("collapse") or "",
               predicted_hgg=float(metrics.get("predicted_hgg", math.nan)),
               best_epoch=int(metrics.get("epoch", row.get("best_epoch", 0))))


def _button(text: str, parent: QtWidgets.QWidget, tip: str = "") -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text, parent)
    button.setToolTip(tip)
    return button


class RunsView(QtWidgets.QWidget):
    """All runs of a folder; compare the selected ones."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir: Path | None = None
        self.rows: list[dict[str, Any]] = []
        self.loader: DatasetLoader | None = None
        #: The data the loader builds slices from: test results recorded on it are shown.
        self.data_root: Path | None = None
        #: The viewer's current slice (set by the main window); None: no viewer.
        self.current_slice: Callable[[], ViewerSlice | None] | None = None
        self.worker: Worker | None = None
        #: The last run heatmaps window opened (kept so it is not collected).
        self.heatmaps_dialog: HeatmapsDialog | None = None
        self._build()

    def _build(self) -> None:
        self._build_table()
        self.status = QtWidgets.QLabel("", self)
        self.status.setWordWrap(True)
        # A long runs path must not widen the whole tab.
        self.status.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.fig5 = Fig5Grid(self)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.fig5)
        bottom = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        # The selected run's confusion matrix and ROC share the place of the curves.
        self.diagnostics = DiagnosticsPanel(self)
        self.plots = QtWidgets.QTabWidget(self)
        self.plots.addTab(self._build_overlay(), "Curves")
        self.plots.addTab(self.diagnostics, "Confusion / ROC")
        self.cases = CaseComparePanel(self)  # per case, before -> after a retrain
        self.plots.addTab(self.cases, "Cases")
        bottom.addWidget(self.plots)
        bottom.addWidget(scroll)
        bottom.setSizes([450, 800])
        top = QtWidgets.QWidget(self)
        top_layout = QtWidgets.QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(self._build_buttons())
        top_layout.addWidget(self.status)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([340, 460])  # the table keeps 6 or more rows in view in a 768 px window
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)

    def _build_table(self) -> None:
        self.table = RunsTable(self)
        self.table.itemSelectionChanged.connect(self.draw_overlay)
        self.table.itemDoubleClicked.connect(
            lambda item: self.open_heatmaps(Path(item.data(QtCore.Qt.ItemDataRole.UserRole))))
        self.admin = RunAdmin(self)  # rename / tags / delete, and the tag filter
        self.table.itemSelectionChanged.connect(lambda: self.diagnostics.show_run(
            runs[0] if len(runs := self.selected_runs()) == 1 else None))

    def _build_buttons(self) -> QtWidgets.QVBoxLayout:
        """Two rows (table actions; the comparison) so the tab fits a narrow window."""
        self.refresh_button = _button("Refresh", self, "Re-read every run folder")
        self.evaluate_button = _button("Evaluate on test", self, "Evaluate the selected runs' best models "
                                       "on the test split (Table 1 numbers)")
        self.heatmaps_button = _button("Heatmaps…", self, "The selected run's saved Fig. 7 heatmaps")
        self.export_button = QtWidgets.QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(self.export_button)
        for text, kind in (("Table as CSV…", "csv"), ("Table as Markdown…", "md"), ("Figures as PNG…", "png")):
            menu.addAction(text).triggered.connect(lambda _on=False, k=kind: self._ask(k))
        self.export_button.setMenu(menu)
        self.compare_button = _button("Compare (Fig. 5)", self, "Overlay the selected runs' curves and "
                                      "explain the same slices with each model")
        self.slices = QtWidgets.QSpinBox(self)
        self.slices.setRange(1, 12)
        self.slices.setValue(4)
        self.slices.setPrefix("slices: ")
        self.include_current = QtWidgets.QCheckBox("+ viewer's slice", self)
        self.include_current.setToolTip("Add the open case's current axial slice as a last row")
        self.group_seeds = QtWidgets.QCheckBox("Group seeds", self)
        self.group_seeds.setChecked(True)
        self.group_seeds.setToolTip("Runs of one configuration that differ only in their seed (same "
                                    "data) share a row with the mean ± sd of each number, and one "
                                    "mean curve with a ± sd band; untick to see every run")
        self.group_seeds.toggled.connect(self.set_grouped)
        rows = QtWidgets.QVBoxLayout()
        for widgets in ((self.refresh_button, self.evaluate_button, self.heatmaps_button, self.export_button,
                         self.group_seeds, self.admin.filter, self.admin.undo_button),
                        (self.compare_button, self.slices, self.include_current)):
            row = QtWidgets.QHBoxLayout()
            for w in widgets:
                row.addWidget(w)
            row.addStretch(1)
            rows.addLayout(row)
        self.refresh_button.clicked.connect(self.refresh)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.heatmaps_button.clicked.connect(lambda: self.open_heatmaps())
        self.compare_button.clicked.connect(self.compare)
        return rows

    def _build_overlay(self) -> QtWidgets.QWidget:
        self.metric_box = QtWidgets.QComboBox(self)
        self.metric_box.addItems(list(OVERLAY_METRICS))
        self.metric_box.currentIndexChanged.connect(lambda _i: self.draw_overlay())
        self.x_box = QtWidgets.QComboBox(self)
        self.x_box.addItems(["epoch", "time"])
        self.x_box.setToolTip("x: epoch, or wall-clock time since each run started (end of each epoch)")
        self.x_box.currentIndexChanged.connect(lambda _i: self.draw_overlay())
        self.overlay = pg.PlotWidget(self, background="w", axisItems={"bottom": EpochAxis("bottom")})
        plot = self.overlay.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "epoch")
        plot.getAxis("left").enableAutoSIPrefix(False)  # accuracy 0.8, not "800 (x0.001)"
        # The legend sits in its own row under the axes, never over the curves.
        plot.legend = pg.LegendItem(labelTextColor="k")
        plot.layout.addItem(plot.legend, 5, 1)
        over = QtWidgets.QWidget(self)
        over_layout = QtWidgets.QVBoxLayout(over)
        over_layout.setContentsMargins(0, 0, 0, 0)
        pick = QtWidgets.QHBoxLayout()
        pick.addWidget(self.metric_box, 1)
        pick.addWidget(self.x_box)
        over_layout.addLayout(pick)
        over_layout.addWidget(self.overlay)
        return over

    # -- table ----------------------------------------------------------------------------
    def set_runs_dir(self, path: str | Path, loader: DatasetLoader | None = None,
                     data: str | Path | None = None) -> None:
        """Show the runs under ``path``; ``loader`` builds the dataset for comparisons from
        ``data`` (whose recorded test results are shown)."""
        self.runs_dir = Path(path)
        if loader is not None:
            self.loader = loader
        if data is not None:
            self.data_root = Path(data)
        self.refresh()

    def refresh(self) -> None:
        """Re-read every run folder, with the test results recorded on the open data."""
        paths = find_runs(self.runs_dir) if self.runs_dir is not None else []
        self.rows = summarize_all(paths)
        for row in self.rows:
            recorded = (recorded_evaluation(row["path"], self.data_root, int(row.get("best_epoch", 0)))
                        if self.data_root is not None else None)
            if recorded is not None:
                _apply_evaluation(row, recorded)
        self.admin.add_tags(self.rows)
        self.cases.set_runs([Path(row["path"]) for row in self.rows])
        self._fill()

    def refill(self) -> None:
        """Show the rows again (the tag filter changed)."""
        self._fill()

    def _fill(self) -> None:
        self.table.show_rows(self.admin.filtered(self.rows))
        groups = len(self.table.shown)
        shown = f" in {groups} row(s)" if groups != len(self.rows) else ""
        self.status.setText(f"{len(self.rows)} run(s){shown} in {self.runs_dir}")

    def set_grouped(self, on: bool) -> None:
        """Show runs of one configuration over seeds as one row (mean ± sd), or each alone."""
        self.group_seeds.setChecked(on)
        self.table.grouped = bool(on)
        self._fill()

    def size_columns(self) -> None:
        """Columns as wide as their contents (see :meth:`RunsTable.size_columns`)."""
        self.table.size_columns()

    def select_runs(self, paths: Sequence[str | Path]) -> None:
        """Select the rows of these run folders (for scripts and tests)."""
        self.table.select_runs(paths)

    def selected_runs(self) -> list[Path]:
        """Run folders of the selected rows (every seed of a group), in table order."""
        return self.table.selected_runs()

    # -- comparison -----------------------------------------------------------------------
    def draw_overlay(self) -> None:
        """Overlay the chosen metric of every selected row, by epoch (short names in the legend):
        a run's measured points, or a group's mean with a ± sd band."""
        self.overlay.clear()
        metric = self.metric_box.currentText()
        # In the palette's text colour: pyqtgraph's default light grey is hard to read on white.
        self.overlay.setTitle(metric, color=self.palette().color(QtGui.QPalette.ColorRole.WindowText).name())
        self.overlay.setLabel("left", OVERLAY_METRICS.get(metric, metric))
        timed = self.x_box.currentText() == "time"
        self.overlay.getPlotItem().getAxis("bottom").whole = not timed
        self.overlay.setLabel("bottom", "elapsed time (s)" if timed else "epoch")
        entries = self.table.selected_entries()
        self.overlay.getPlotItem().legend.setColumnCount(2 if len(entries) > 3 else 1)  # keep the plot tall
        singles = [runs[0] for _text, runs in entries if len(runs) == 1]
        labels = dict(zip(singles, short_labels(singles)))
        for text, runs in entries:
            colour = self.run_colour(runs[0])
            if len(runs) > 1:
                epochs, mean, sd = mean_curve(runs, metric)
                x = mean_epoch_times(runs, epochs) if timed else epochs
                keep = np.isfinite(x)  # an epoch none of the seeds timed is left out
                draw_band(self.overlay.getPlotItem(), x[keep], mean[keep], sd[keep], colour, text)
            else:
                problem = draw_run(self.overlay.getPlotItem(), runs[0], labels[runs[0]], metric, colour, timed)
                if problem:  # its row already says "unreadable" and why
                    self.status.setText(problem)
        self.fig5.mark_stale([run.name for run in self.selected_runs()])

    def run_colour(self, run: Path) -> str:
        """A run's curve colour, fixed by its place among all runs of the folder (folder
        names start with the start time: creation order), not by the selection."""
        paths = [r["path"] for r in self.rows]
        index = paths.index(str(run)) if str(run) in paths else len(paths)
        return PALETTE[index % len(PALETTE)]

    def _start(self, runs: list[Path], job: Callable[[DatasetLoader], Any], done: Callable[[Any], object],
               text: str, failed: Callable[[str], None] | None = None) -> bool:
        """Run ``job(loader)`` in a worker thread; False (and a status line) when it cannot start."""
        problem = ("Select one or more runs first" if not runs else
                   "Open the data the runs were trained on first" if self.loader is None else
                   "Busy: wait for the current comparison" if self.worker is not None else None)
        if problem:
            self.status.setText(problem)
            return False
        loader = self.loader
        if loader is None:
            return False
        self.worker = Worker(lambda _progress, _cancel: job(loader), self)
        self.worker.succeeded.connect(done)
        self.worker.failed.connect(lambda e: (failed or self.status.setText)(f"Error: {e}"))
        self.worker.finished.connect(self._worker_done)
        self.status.setText(text)
        self.worker.start()
        return True

    def _worker_done(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.deleteLater()

    def compare(self) -> None:
        """Compute the Fig. 5 grid of the selected runs (in a worker thread).

        Runs of different image sizes cannot share slices: the curves are still overlaid,
        the old grid is cleared and the view says which run has which size.
        """
        runs, count = self.selected_runs(), self.slices.value()
        current = self._viewer_slice()
        if self.include_current.isChecked() and current is None:
            self.status.setText("Open a case in the viewer to include its current slice")
            return
        self.draw_overlay()
        problem = size_problem(runs, "Fig. 5") if runs else None
        if problem:
            self.fig5.clear(problem)
            self.status.setText(problem)
            return
        size = (image_size(runs[0]) or 0) if runs else 0

        def failed(text: str) -> None:
            self.fig5.clear(text)
            self.status.setText(text)

        self._start(runs, lambda load: comparison_arrays(load(size), runs, "test", count, current=current),
                    self._on_compared, f"Explaining slices with {len(runs)} run(s)…", failed)

    def _viewer_slice(self) -> ViewerSlice | None:
        """The viewer's slice when the checkbox asks for it (captured in the GUI thread)."""
        if not self.include_current.isChecked() or self.current_slice is None:
            return None
        return self.current_slice()

    def _on_compared(self, arrays: dict[str, Any]) -> None:
        self.fig5.show_arrays(arrays)
        self.status.setText(f"Fig. 5: {len(arrays['titles'])} slices x {len(arrays['names'])} model(s)")

    def evaluate(self) -> None:
        """Evaluate the selected runs' best models on the test split (Table 1 numbers).

        Each run is evaluated on the dataset at its own image size (one dataset per size).
        """
        runs = self.selected_runs()
        sizes = {r: image_size(r) for r in runs}
        unreadable = [r.name for r, s in sizes.items() if s is None]
        if unreadable:
            self.status.setText(f"Cannot evaluate {unreadable[0]}: its config.json has no image size")
            return

        data = self.data_root
        self._start(runs, lambda load: evaluate_and_record(runs, load, data) if data is not None
                    else evaluate_runs(runs, load, "test"), self._on_evaluated,
                    f"Evaluating {len(runs)} run(s)…")

    def _on_evaluated(self, results: dict[str, dict[str, Any]]) -> None:
        for row in self.rows:
            metrics = results.get(row["path"])
            if metrics is not None:
                _apply_evaluation(row, metrics)
        self._fill()
        self.status.setText(f"Evaluated {len(results)} run(s) on the test split")

    # -- a run's Fig. 7 ---------------------------------------------------------------------
    def open_heatmaps(self, run: Path | None = None) -> bool:
        """Show a run's saved Fig. 7 heatmaps in a window (default: the current row's run).

        The pinned slices' inputs come from the open data at the run's image size (built in
        a worker thread); returns False, with a status line, when there is nothing to show.
        """
        current = self.table.item(self.table.currentRow(), 0)
        if run is None and current is not None and current.isSelected():
            run = Path(current.data(QtCore.Qt.ItemDataRole.UserRole))
        run = run or next(iter(self.selected_runs()), None)
        if run is None:
            self.status.setText("Select a run first")
            return False
        try:
            pinned = pinned_slices(run)
        except LrpStudioError as error:
            self.status.setText(f"Error: {error}")
            return False
        if not pinned or not saved_heatmap_files(run):
            self.status.setText(f"{run.name} saved no heatmaps (it pinned no slices or trained no epoch)")
            return False
        size = image_size(run) or 0
        return self._start([run], lambda load: heatmap_inputs(load(size), run),
                           lambda inputs: self.show_heatmaps(run, inputs),
                           f"Loading the pinned slices of {run.name}…")

    def show_heatmaps(self, run: Path, inputs: dict[str, Any]) -> HeatmapsDialog:
        """A window with the run's Fig. 7 (every saved epoch, with an epoch slider)."""
        self.heatmaps_dialog = heatmaps_dialog(self, run, inputs)
        self.status.setText(f"Fig. 7 of {run.name}: {counted(len(self.heatmaps_dialog.fig7.epochs), 'epoch')}")
        return self.heatmaps_dialog

    # -- export ---------------------------------------------------------------------------
    def export_table(self, path: str | Path) -> Path:
        """Write the table as CSV or Markdown (by the file's suffix)."""
        return write_table(self.rows, path)

    def export_figures(self, stem: str | Path) -> list[Path]:
        """Write the overlay and the Fig. 5 grid as ``<stem>_curves.png`` and ``<stem>_fig5.png``."""
        return write_pictures(stem, {"_curves.png": self.overlay, "_fig5.png": self.fig5})

    def _ask(self, kind: str) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export ({kind})", f"runs.{kind}")
        if not name:
            return
        if kind == "png":
            paths = self.export_figures(name)
            self.status.setText("Wrote " + ", ".join(p.name for p in paths))
        else:
            self.status.setText(f"Wrote {self.export_table(name)}")
