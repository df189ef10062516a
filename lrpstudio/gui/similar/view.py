"""The Similar cases tab (the paper's Fig. 3): per layer the k nearest training slices of
the viewer's current slice, Deep k-NN credibility and confidence, and BiLRP on demand.

The atlas, the calibration and every BiLRP explanation are computed in worker threads;
results come back as plain data (numpy copies) from the app's
:class:`~lrpstudio.app.similar.SimilarEngine`. Selecting a neighbour shows the
interactive BiLRP line view; double-clicking it asks (signal ``open_requested``) for that
case at that slice in the viewer.
By default each patient appears once per layer (its nearest slice): a patient's adjacent
slices are near-copies and would otherwise fill most of the k places.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.datasets import SliceDataset
from lrpstudio.app.pictures import input_rgba
from lrpstudio.app.similar import GRADES, Neighbour, SimilarEngine, similar_config, similar_query
from lrpstudio.app.slices import ViewerSlice
from lrpstudio.gui.common.heat_tiles import Tile, drop_tiles
from lrpstudio.gui.common.run_box import fill_run_box
from lrpstudio.gui.common.workers import Worker
from lrpstudio.gui.similar.bilrp_view import BilrpView

__all__ = ["NeighbourTile", "SimilarPanel", "short_case", "similar_config"]


def short_case(case_id: str, fits: Callable[[str], bool] | None = None, keep: int = 13) -> str:
    """A case id short enough for a thumbnail title, cut only between its words.

    Whole leading words go first (``BraTS20_Training_012`` -> ``…Training_012`` ->
    ``…012``), so the case number at the end stays readable; only a last word that is
    too long by itself is cut inside, keeping its end.

    Parameters
    ----------
    case_id
        The full id (show it in a tooltip).
    fits
        Whether a text fits the space (e.g. by font metrics); default: at most ``keep`` characters.
    keep
        Characters allowed when ``fits`` is not given.
    """
    fits = fits if fits is not None else (lambda text: len(text) <= keep)
    if fits(case_id):
        return case_id
    words = re.split(r"(?<=[_\-. ])", case_id)  # each word keeps its trailing separator
    for start in range(1, len(words)):
        text = "…" + "".join(words[start:])
        if fits(text):
            return text
    last = words[-1]
    for n in range(len(last) - 1, 0, -1):
        if fits("…" + last[-n:]):
            return "…" + last[-n:]
    return "…"


class NeighbourTile(Tile):
    """A neighbour thumbnail: click selects (highlighted), double-click opens the case."""

    clicked = QtCore.Signal(object)
    double_clicked = QtCore.Signal(object)

    def __init__(self, layer: str, neighbour: Neighbour, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, size=90)
        self.layer, self.neighbour = layer, neighbour
        self.selected = False
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click: BiLRP view; double-click: open this case at this slice")

    def show_neighbour(self, rgba: np.ndarray) -> None:
        """The thumbnail, its case (elided between words to fit), slice, grade and distance."""
        n = self.neighbour
        width = self.title.maximumWidth() - 4
        metrics = self.title.fontMetrics()
        name = short_case(n.case_id, lambda text: metrics.horizontalAdvance(text) <= width)
        self.show_rgba(rgba, f"{name}\nz{n.slice_index}", f"{n.grade} d={n.distance:.3f}")
        self.setToolTip(f"{n.case_id}, slice {n.slice_index}, {n.grade}, cosine distance "
                        f"{n.distance:.4f}\nClick: BiLRP view; double-click: open in the viewer")

    def set_selected(self, on: bool) -> None:
        """Highlight (or not) this tile as the one the BiLRP view shows."""
        self.selected = on  # drawn by paintEvent; a bold title would no longer fit its elision
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt API
        if self.selected:
            painter = QtGui.QPainter(self)
            colour = self.palette().color(QtGui.QPalette.ColorRole.Highlight)
            fill = QtGui.QColor(colour)
            fill.setAlpha(70)
            painter.fillRect(self.rect(), fill)
            painter.setPen(QtGui.QPen(colour, 3))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
            painter.end()
        super().paintEvent(event)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.clicked.emit(self)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.double_clicked.emit(self)


class SimilarPanel(QtWidgets.QWidget):
    """Similar cases of the viewer's current slice.

    Parameters
    ----------
    current
        The viewer's slice now (None without an open case).
    loader
        The open data's slice dataset at an image size (the runs' training atlas).

    Signals
    -------
    open_requested(str, int)
        A neighbour was double-clicked: its case id and axial slice, to show in the viewer.
    """

    open_requested = QtCore.Signal(str, int)

    def __init__(self, current: Callable[[], ViewerSlice | None], loader: Callable[[int], SliceDataset],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = current
        self.engine = SimilarEngine(loader)
        self.runs_dir: Path | None = None
        self.worker: Worker | None = None
        self.result: dict[str, Any] | None = None
        self.query: dict[str, Any] | None = None
        self.tiles: list[QtWidgets.QWidget] = []  # the thumbnails and their layer labels
        self.selected: NeighbourTile | None = None
        self._build()

    def _build(self) -> None:
        self.run_box = QtWidgets.QComboBox(self)
        self.k = QtWidgets.QSpinBox(self)
        self.k.setRange(1, 20)
        self.k.setValue(5)
        self.k.setPrefix("k = ")
        self.one_per_patient = QtWidgets.QCheckBox("one slice per patient", self)
        self.one_per_patient.setChecked(True)
        self.one_per_patient.setToolTip("Show only each patient's nearest slice and fill k from further "
                                        "patients (adjacent slices of one patient are near-copies)")
        self.one_per_patient.toggled.connect(self._option_changed)
        self.button = QtWidgets.QPushButton("Find similar training slices for the current slice", self)
        self.verdict = QtWidgets.QLabel("", self)
        self.verdict.setWordWrap(True)
        self.busy = QtWidgets.QLabel("", self)
        bar = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("Model:"), self.run_box, self.k, self.one_per_patient, self.button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.grid_host = QtWidgets.QWidget(self)
        self.grid = QtWidgets.QGridLayout(self.grid_host)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        self.bilrp = BilrpView(self)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        split.addWidget(scroll)
        split.addWidget(self.bilrp)
        split.setSizes([700, 600])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.verdict)
        layout.addWidget(self.busy)
        layout.addWidget(split, 1)
        self.button.clicked.connect(self.query_current)

    def set_runs_dir(self, path: str | Path) -> None:
        """Offer the runs under ``path`` that have a best checkpoint."""
        self.runs_dir = Path(path)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the runs."""
        fill_run_box(self.run_box, self.runs_dir)

    def _run(self, job: Callable[[], Any], done: Callable[[Any], None], text: str,
             failed: Callable[[Any], None] | None = None) -> bool:
        if self.worker is not None:
            self.busy.setText("Busy: wait for the current computation")
            return False
        self.worker = Worker(lambda _p, _c: job(), self)
        self.worker.succeeded.connect(done)
        self.worker.failed.connect(lambda e: self.busy.setText(f"Error: {e}"))
        if failed is not None:
            self.worker.failed.connect(failed)
        self.worker.finished.connect(self._worker_done)
        self.busy.setText(text)
        self.worker.start()
        return True

    def _worker_done(self) -> None:
        if self.worker is not None and self.worker.error is None:
            self.busy.setText("")
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.deleteLater()

    def query_current(self) -> bool:
        """Query the current slice of the open case (in a worker); False when not possible."""
        run, current = self.run_box.currentData(), self.current()
        if run is None or current is None:
            self.verdict.setText("Open a case and choose a trained run first.")
            return False
        q = similar_query(run, self.k.value(), current)
        return self._ask({"run": q.run, "k": q.k, "image": q.image, "tumour": q.tumour,
                          "case_id": q.case_id, "z": q.z, "grey": q.grey})

    def _ask(self, q: dict[str, Any]) -> bool:
        """Query the slice described by ``q`` (in a worker)."""
        if self.worker is not None:
            self.busy.setText("Busy: wait for the current computation")
            return False
        self.query, engine, distinct = q, self.engine, self.one_per_patient.isChecked()
        return self._run(lambda: engine.query(q["run"], q["k"], q["image"], q["case_id"], distinct),
                         self._show, f"Finding the nearest training slices of {q['case_id']} z{q['z']}…")

    def _option_changed(self, _on: bool) -> None:
        """Ask again for the slice shown (not the viewer's current one) with the new option."""
        if self.query is not None and self.result is not None and not self._ask(self.query):
            # Busy: the box goes back to what the neighbours shown were found with.
            blocker = QtCore.QSignalBlocker(self.one_per_patient)
            self.one_per_patient.setChecked(not self.one_per_patient.isChecked())
            del blocker

    def _clear_tiles(self) -> None:
        drop_tiles(self.tiles)
        self.tiles, self.selected = [], None

    def _show(self, result: dict[str, Any]) -> None:
        self.result = result
        self._clear_tiles()
        self.bilrp.show_message()
        for i, (layer, neighbours) in enumerate(result["neighbours"].items()):
            label = QtWidgets.QLabel(layer, self.grid_host)
            self.grid.addWidget(label, i, 0)
            self.tiles.append(label)  # deleted with the tiles
            for j, n in enumerate(neighbours):
                tile = NeighbourTile(layer, n, self.grid_host)
                tile.show_neighbour(input_rgba(result["thumbs"][n.row], result["masks"][n.row]))
                tile.clicked.connect(self.select)
                tile.double_clicked.connect(self.open_neighbour)
                self.grid.addWidget(tile, i, j + 1)
                self.tiles.append(tile)
        for shown in self.tiles:
            # Shown now: a layout shows widgets added to a visible parent only from the
            # event loop, and until then the grid would be empty (in scripts, and in tests).
            shown.show()
        self.verdict.setText(self._verdict_text(result))

    def _verdict_text(self, result: dict[str, Any]) -> str:
        q, v = self.query or {}, result["verdict"]
        text = f"{q.get('case_id')} z{q.get('z')}: " + (
            "no validation split, so no Deep k-NN calibration" if v is None else
            f"Deep k-NN predicts {GRADES[v['prediction']]} — credibility {v['credibility']:.2f}, "
            f"confidence {v['confidence']:.2f}")
        found = min((len(ns) for ns in result["neighbours"].values()), default=0)
        if found < q.get("k", 0):  # say why a row is short rather than leave it unexplained
            text += f". Only {found} neighbour(s) per layer: not enough other patients in the training atlas"
        return text

    def neighbour_tiles(self) -> list[NeighbourTile]:
        """The thumbnails shown now."""
        return [t for t in self.tiles if isinstance(t, NeighbourTile)]

    def select(self, tile: NeighbourTile) -> bool:
        """Show the BiLRP view of a neighbour (computed in a worker)."""
        if self.query is None or self.result is None or tile not in self.tiles:
            return False
        if self.worker is not None:  # the highlight must stay on what the view will show
            self.busy.setText("Busy: wait for the current computation")
            return False
        if self.selected is not None:
            self.selected.set_selected(False)
        self.selected = tile
        tile.set_selected(True)
        q, engine, layer, n = self.query, self.engine, tile.layer, tile.neighbour
        thumb, mask = self.result["thumbs"][n.row], self.result["masks"][n.row]
        what = f"{n.case_id} z{n.slice_index} at {layer}"

        def done(lines: Any) -> None:
            if self.selected is tile:
                self.bilrp.show_pair(q["grey"], q["tumour"], thumb, mask, lines,
                                     f"{layer}: {q['case_id']} z{q['z']} vs {n.case_id} z{n.slice_index}.")

        self.bilrp.show_message(f"Computing BiLRP for {what}…")
        return self._run(lambda: engine.bilrp(q["run"], q["k"], layer, q["image"], n), done,
                         f"BiLRP for {what}…",
                         lambda e: self.bilrp.show_message(f"BiLRP for {what} failed: {e}"))

    def open_neighbour(self, tile: NeighbourTile) -> None:
        """Ask for the neighbour's case in the viewer, at its slice."""
        self.open_requested.emit(str(tile.neighbour.case_id), int(tile.neighbour.slice_index))

    def say(self, text: str) -> None:
        """Show a line where the verdict goes (e.g. why a neighbour cannot be opened)."""
        self.verdict.setText(text)
