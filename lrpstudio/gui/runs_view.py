"""The Runs tab: every run of the workspace in a sortable table; compare selected runs.

Comparing shows the selected runs' curves overlaid (one metric at a time) and a Fig. 5
grid: for the same slices, the input, the tumour mask, then each selected model's
heatmap with its TumorLRPScore and prediction. The grid's heatmaps are computed in a
worker thread; the table, the overlay and the grid export as CSV / Markdown / PNG.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.train.engine import to_batch
from lrpstudio.core.train.evaluate import check_compatible, evaluate_run, load_run_model
from lrpstudio.core.train.heatmaps import colour_scale, display_channel, explain_batch, pin_slices
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.gui.explain_view import ViewerSlice, explain_current
from lrpstudio.core.xai.pictures import caption, heat_rgba, input_rgba
from lrpstudio.gui.heat_tiles import Tile
from lrpstudio.gui.run_table import COLUMNS, METRICS, cell, find_runs, summarize_all, to_csv, to_markdown
from lrpstudio.gui.workers import Worker

#: Builds the slice dataset (in a worker thread) for a given image size.
DatasetLoader = Callable[[int], SliceDataset]
OVERLAY_METRICS: tuple[str, ...] = ("val_accuracy", "val_f1_weighted", "val_score_lgg", "val_score_hgg",
                                    "val_total", "train_total", "train_accuracy")
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


class NumericItem(QtWidgets.QTableWidgetItem):
    """A table cell that sorts by its number (NaN last), not by its text."""

    def __init__(self, value: Any) -> None:
        super().__init__(cell(value))
        self.value = value

    def __lt__(self, other: QtWidgets.QTableWidgetItem) -> bool:  # noqa: D105
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            a = a if math.isfinite(a) else math.inf
            b = b if math.isfinite(b) else math.inf
            return a < b
        return str(a) < str(b)


def comparison_arrays(dataset: SliceDataset, runs: list[Path], split: str, count: int,
                      seed: int = 0, current: ViewerSlice | None = None) -> dict[str, Any]:
    """Explain the same ``count`` slices of ``split`` with each run's best model (Fig. 5).

    With ``current`` the viewer's slice is the last row, prepared like the dataset and
    scored against the viewer's mask (see :func:`lrpstudio.gui.explain_view.explain_current`).

    Returns
    -------
    dict
        images (N,H,W) grey, masks, labels, titles, names (per run) and maps: per run a
        dict of relevance, scores, predictions and its colour scale vmax.
    """
    part = dataset.subset(split)
    if len(part) == 0:
        part = dataset.subset("val") if len(dataset.subset("val")) else dataset
    rows = pin_slices(part, count, seed)
    maps, extra = [], []
    for run in runs:
        model, config, _ = load_run_model(run, "best")
        check_compatible(config, part, run)
        batch = to_batch(part, rows, next(model.parameters()).device)
        h = explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain, config.composite)
        m = {"relevance": h.relevance, "scores": h.scores, "predictions": h.predictions}
        if current is not None:
            extra.append(explain_current(run, current.images, current.seg, current.z, current.grade, model))
            m = _append_current(m, extra[-1])
        maps.append({**m, "vmax": colour_scale(m["relevance"])})
    channel = display_channel(part.channels)
    arrays = {"images": np.array(part.images[rows, channel]), "masks": np.array(part.tumor_masks[rows]),
              "labels": np.array(part.labels[rows]), "names": [Path(r).name for r in runs],
              "titles": [f"{part.case_ids[r]} z{int(part.slice_index[r])}" for r in rows], "maps": maps}
    return _with_current_row(arrays, current, extra[0]) if extra else arrays


def _append_current(maps: dict[str, np.ndarray], r: dict[str, Any]) -> dict[str, np.ndarray]:
    """One run's maps with its explanation of the viewer's slice as a last row."""
    return {"relevance": np.concatenate([maps["relevance"], r["relevance"][None]]),
            "scores": np.append(maps["scores"], r["score"]),
            "predictions": np.append(maps["predictions"], r["prediction"])}


def _with_current_row(arrays: dict[str, Any], current: ViewerSlice, r: dict[str, Any]) -> dict[str, Any]:
    """The grid's input columns with the viewer's slice as a last row (label: its grade,
    else the first model's prediction)."""
    label = r["label"] if r["label"] is not None else r["prediction"]

    def append(key: str, value: Any) -> np.ndarray:
        return np.concatenate([arrays[key], np.asarray([value], dtype=arrays[key].dtype)])

    return {**arrays, "images": append("images", r["image"]), "masks": append("masks", r["tumour"]),
            "labels": append("labels", label),
            "titles": arrays["titles"] + [f"{current.case_id} z{current.z} (viewer)"]}


class Fig5Grid(QtWidgets.QWidget):
    """Rows = slices; columns = input, mask, then one heatmap per model."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QtWidgets.QGridLayout(self)
        self.grid.setSpacing(3)
        self.tiles: list[Tile] = []
        self.arrays: dict[str, Any] | None = None

    def show_arrays(self, arrays: dict[str, Any]) -> None:
        """Draw a :func:`comparison_arrays` result."""
        for tile in self.tiles:
            tile.deleteLater()
        self.tiles, self.arrays = [], arrays
        for i, title in enumerate(arrays["titles"]):
            label = int(arrays["labels"][i])
            self._add(i, 0, input_rgba(arrays["images"][i], None), f"{title} ({GRADES[label]})", "input")
            mask = arrays["masks"][i].astype(np.float32)
            self._add(i, 1, input_rgba(mask, mask), "tumour mask", "")
            for j, (name, m) in enumerate(zip(arrays["names"], arrays["maps"])):
                self._add(i, j + 2, heat_rgba(m["relevance"][i], m["vmax"]), name if i == 0 else "",
                          caption(float(m["scores"][i]), int(m["predictions"][i]), label))

    def _add(self, row: int, col: int, rgba: np.ndarray, title: str, text: str) -> None:
        tile = Tile(self, size=120)
        tile.show_rgba(rgba, title, text)
        self.grid.addWidget(tile, row, col)
        self.tiles.append(tile)


class RunsView(QtWidgets.QWidget):
    """All runs of a folder; compare the selected ones."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir: Path | None = None
        self.rows: list[dict[str, Any]] = []
        self.loader: DatasetLoader | None = None
        #: The viewer's current slice (set by the main window); None: no viewer.
        self.current_slice: Callable[[], ViewerSlice | None] | None = None
        self.worker: Worker | None = None
        self._build()

    def _build(self) -> None:
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([h for _, h in COLUMNS])
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QtWidgets.QHBoxLayout()
        self.refresh_button = QtWidgets.QPushButton("Refresh", self)
        self.evaluate_button = QtWidgets.QPushButton("Evaluate selected on test split", self)
        self.compare_button = QtWidgets.QPushButton("Compare selected (Fig. 5)", self)
        self.slices = QtWidgets.QSpinBox(self)
        self.slices.setRange(1, 12)
        self.slices.setValue(4)
        self.slices.setPrefix("slices: ")
        self.include_current = QtWidgets.QCheckBox("include the viewer's current slice", self)
        self.include_current.setToolTip("Add the open case's current axial slice as a last row")
        self.csv_button = QtWidgets.QPushButton("Export CSV…", self)
        self.md_button = QtWidgets.QPushButton("Export Markdown…", self)
        self.png_button = QtWidgets.QPushButton("Export figures PNG…", self)
        for b in (self.refresh_button, self.evaluate_button, self.compare_button, self.slices,
                  self.include_current, self.csv_button, self.md_button, self.png_button):
            buttons.addWidget(b)
        self.status = QtWidgets.QLabel("", self)
        self.metric_box = QtWidgets.QComboBox(self)
        self.metric_box.addItems(list(OVERLAY_METRICS))
        self.overlay = pg.PlotWidget(self, background="w")
        self.overlay.addLegend(offset=(5, 5))
        self.overlay.showGrid(x=True, y=True, alpha=0.3)
        self.overlay.setLabel("bottom", "epoch")
        over = QtWidgets.QWidget(self)
        over_layout = QtWidgets.QVBoxLayout(over)
        over_layout.setContentsMargins(0, 0, 0, 0)
        over_layout.addWidget(self.metric_box)
        over_layout.addWidget(self.overlay)
        self.fig5 = Fig5Grid(self)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.fig5)
        bottom = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        bottom.addWidget(over)
        bottom.addWidget(scroll)
        bottom.setSizes([450, 800])
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self)
        top = QtWidgets.QWidget(self)
        top_layout = QtWidgets.QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.status)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([300, 500])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self.draw_overlay)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.draw_overlay())
        self.compare_button.clicked.connect(self.compare)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.csv_button.clicked.connect(lambda: self._ask("csv"))
        self.md_button.clicked.connect(lambda: self._ask("md"))
        self.png_button.clicked.connect(lambda: self._ask("png"))

    # -- table ----------------------------------------------------------------------------
    def set_runs_dir(self, path: str | Path, loader: DatasetLoader | None = None) -> None:
        """Show the runs under ``path``; ``loader`` builds the dataset for comparisons."""
        self.runs_dir = Path(path)
        if loader is not None:
            self.loader = loader
        self.refresh()

    def refresh(self) -> None:
        """Re-read every run folder."""
        paths = find_runs(self.runs_dir) if self.runs_dir is not None else []
        old = {r["path"]: r for r in self.rows if r.get("split") != "val"}
        self.rows = [old.get(r["path"], r) for r in summarize_all(paths)]  # keep evaluated rows
        self._fill()

    def _fill(self) -> None:
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            for j, (key, _h) in enumerate(COLUMNS):
                item = NumericItem(row.get(key))
                item.setData(QtCore.Qt.ItemDataRole.UserRole, row["path"])
                item.setToolTip(row["path"] if key == "run" else cell(row.get(key)))
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(self.rows)} run(s) in {self.runs_dir}")

    def select_runs(self, paths: list[str | Path]) -> None:
        """Select the rows of these run folders (for scripts and tests)."""
        wanted = {str(p) for p in paths}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.MultiSelection)
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).data(QtCore.Qt.ItemDataRole.UserRole) in wanted:
                self.table.selectRow(i)
        self.table.setSelectionMode(mode)

    def selected_runs(self) -> list[Path]:
        """Run folders of the selected rows, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [Path(self.table.item(r, 0).data(QtCore.Qt.ItemDataRole.UserRole)) for r in rows]

    # -- comparison -----------------------------------------------------------------------
    def draw_overlay(self) -> None:
        """Overlay the chosen metric of every selected run, by epoch."""
        self.overlay.clear()
        metric = self.metric_box.currentText()
        self.overlay.setTitle(metric)
        for k, run in enumerate(self.selected_runs()):
            rows = RunFolder(run).read_metrics()
            xs = [r["epoch"] for r in rows if math.isfinite(r.get(metric, math.nan))]
            ys = [r[metric] for r in rows if math.isfinite(r.get(metric, math.nan))]
            colour = PALETTE[k % len(PALETTE)]
            self.overlay.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                              symbolBrush=colour, name=run.name)

    def _image_size(self, runs: list[Path]) -> int:
        sizes = {RunFolder(r).read_config()["train"].get("image_size") for r in runs}
        if len(sizes) != 1:
            raise ValueError(f"the selected runs use different image sizes: {sorted(map(str, sizes))}")
        return int(sizes.pop())

    def _start(self, job: Callable[[SliceDataset], Any], done: Callable[[Any], None], what: str) -> None:
        runs = self.selected_runs()
        if not runs:
            self.status.setText("Select one or more runs first")
            return
        if self.loader is None:
            self.status.setText("Open the data the runs were trained on first")
            return
        if self.worker is not None:
            self.status.setText("Busy: wait for the current comparison")
            return
        loader, size = self.loader, self._image_size(runs)
        self.worker = Worker(lambda _progress, _cancel: job(loader(size)), self)
        self.worker.succeeded.connect(done)
        self.worker.failed.connect(lambda e: self.status.setText(f"Error: {e}"))
        self.worker.finished.connect(self._worker_done)
        self.status.setText(f"{what} {len(runs)} run(s)…")
        self.worker.start()

    def _worker_done(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.deleteLater()

    def compare(self) -> None:
        """Compute the Fig. 5 grid of the selected runs (in a worker thread)."""
        runs, count = self.selected_runs(), self.slices.value()
        current = self._viewer_slice()
        if self.include_current.isChecked() and current is None:
            self.status.setText("Open a case in the viewer to include its current slice")
            return
        self.draw_overlay()
        self._start(lambda ds: comparison_arrays(ds, runs, "test", count, current=current),
                    self._on_compared, "Explaining slices with")

    def _viewer_slice(self) -> ViewerSlice | None:
        """The viewer's slice when the checkbox asks for it (captured in the GUI thread)."""
        if not self.include_current.isChecked() or self.current_slice is None:
            return None
        return self.current_slice()

    def _on_compared(self, arrays: dict[str, Any]) -> None:
        self.fig5.show_arrays(arrays)
        self.status.setText(f"Fig. 5: {len(arrays['titles'])} slices x {len(arrays['names'])} model(s)")

    def evaluate(self) -> None:
        """Evaluate the selected runs' best models on the test split (Table 1 numbers)."""
        runs = self.selected_runs()

        def job(dataset: SliceDataset) -> dict[str, dict[str, Any]]:
            return {str(r): evaluate_run(r, dataset, "test") for r in runs}

        self._start(job, self._on_evaluated, "Evaluating")

    def _on_evaluated(self, results: dict[str, dict[str, Any]]) -> None:
        for row in self.rows:
            metrics = results.get(row["path"])
            if metrics is not None:
                row.update({k: float(metrics[k]) for k in METRICS}, split="test",
                           best_epoch=int(metrics.get("epoch", row.get("best_epoch", 0))))
        self._fill()
        self.status.setText(f"Evaluated {len(results)} run(s) on the test split")

    # -- export ---------------------------------------------------------------------------
    def export_table(self, path: str | Path) -> Path:
        """Write the table as CSV or Markdown (by the file's suffix)."""
        path = Path(path)
        text = to_markdown(self.rows) if path.suffix.lower() == ".md" else to_csv(self.rows)
        return atomic_write_text(path, text)

    def export_figures(self, stem: str | Path) -> list[Path]:
        """Write the overlay and the Fig. 5 grid as ``<stem>_curves.png`` and ``<stem>_fig5.png``."""
        stem = Path(stem)
        out = []
        for widget, suffix in ((self.overlay, "_curves.png"), (self.fig5, "_fig5.png")):
            path = stem.with_name(stem.stem + suffix)
            if not widget.grab().save(str(path), "PNG"):
                raise OSError(f"could not write {path}")
            out.append(path)
        return out

    def _ask(self, kind: str) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export ({kind})", f"runs.{kind}")
        if not name:
            return
        if kind == "png":
            paths = self.export_figures(name)
            self.status.setText("Wrote " + ", ".join(p.name for p in paths))
        else:
            self.status.setText(f"Wrote {self.export_table(name)}")
