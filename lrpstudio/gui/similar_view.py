"""The Similar cases tab (the paper's Fig. 3): per layer the k nearest training slices of
the viewer's current slice, Deep k-NN credibility and confidence, and BiLRP on demand.

The atlas, the calibration and every BiLRP explanation are computed in worker threads;
results come back as plain data (numpy copies). Selecting a neighbour shows the
interactive BiLRP line view; double-clicking it opens that case at that slice.
By default each patient appears once per layer (its nearest slice): a patient's adjacent
slices are near-copies and would otherwise fill most of the k places.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.train.heatmaps import display_channel
from lrpstudio.core.xai.knn import Neighbour
from lrpstudio.core.xai.similar import SimilarCases, SimilarConfig
from lrpstudio.gui.bilrp_view import MAX_PAIRS, BilrpView
from lrpstudio.gui.explain_view import run_data_settings, viewer_slice
from lrpstudio.core.xai.pictures import input_rgba
from lrpstudio.gui.heat_tiles import Tile, drop_tiles
from lrpstudio.gui.run_table import fill_run_box
from lrpstudio.gui.workers import Worker


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


def similar_config(k: int) -> SimilarConfig:
    """The GUI's query settings: k neighbours, and BiLRP pairs up to ``MAX_PAIRS`` with no
    threshold, so that the BiLRP view's slider and strength box can filter them all."""
    return SimilarConfig(k=k, top_n=MAX_PAIRS, threshold=0.0)


class SimilarEngine:
    """What the worker threads use: one :class:`SimilarCases` per run, built lazily (no Qt)."""

    def __init__(self, loader: Callable[[int], SliceDataset]) -> None:
        self.loader = loader
        self.cache: dict[tuple[str, int], SimilarCases] = {}

    def get(self, run: str, k: int) -> SimilarCases:
        """The similar-cases engine of a run's best model (atlas cached in ``<run>/similar``)."""
        if (run, k) not in self.cache:
            model, config, _ = load_run_model(run, "best")
            dataset = self.loader(int(config.image_size))
            self.cache[(run, k)] = SimilarCases(model, dataset, similar_config(k),
                                                cache_dir=Path(run) / "similar")
        return self.cache[(run, k)]

    def query(self, run: str, k: int, image: np.ndarray, case_id: str,
              one_per_patient: bool = True) -> dict[str, Any]:
        """Neighbours per layer, the Deep k-NN verdict and the neighbours' thumbnails.

        With ``one_per_patient`` the neighbours shown are each patient's nearest slice;
        the verdict always counts plain neighbours, as its calibration did.
        """
        sim = self.get(run, k)
        plain = sim.neighbours(image, case_id)
        verdict = sim.credibility(plain)
        neighbours = sim.neighbours(image, case_id, one_per_patient=True) if one_per_patient else plain
        atlas = sim.atlas_data
        channel = display_channel(atlas.channels)
        rows = sorted({n.row for ns in neighbours.values() for n in ns})
        return {"neighbours": neighbours, "verdict": None if verdict is None else verdict.as_dict(),
                "thumbs": {r: np.array(atlas.images[r, channel]) for r in rows},
                "masks": {r: np.array(atlas.tumor_masks[r]) for r in rows}}

    def bilrp(self, run: str, k: int, layer: str, image: np.ndarray, neighbour: Neighbour) -> Any:
        """BiLRP line data between the query image and one neighbour at ``layer``."""
        sim = self.get(run, k)
        return sim.explain(layer, sim.explainer(layer).side(image), neighbour)


class SimilarPanel(QtWidgets.QWidget):
    """Similar cases of the viewer's current slice."""

    def __init__(self, window: Any, loader: Callable[[int], SliceDataset],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.engine = SimilarEngine(loader)
        self.runs_dir: Path | None = None
        self.worker: Worker | None = None
        self.result: dict[str, Any] | None = None
        self.query: dict[str, Any] | None = None
        self.tiles: list[NeighbourTile] = []
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
        self.button.clicked.connect(self.find)

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

    def find(self) -> bool:
        """Query the current slice of the open case (in a worker); False when not possible."""
        state, run = self.window_.state, self.run_box.currentData()
        case = getattr(self.window_, "case", None)
        if run is None or case is None or not state.has_volume:
            self.verdict.setText("Open a case and choose a trained run first.")
            return False
        channels, size, region, _ = run_data_settings(run)
        z = int(state.cursor[2])
        image, tumour, _brain = viewer_slice(state.images, state.seg, z, channels, size, region)
        return self._ask({"run": run, "k": self.k.value(), "image": image, "tumour": tumour,
                          "case_id": case.id, "z": z, "grey": image[display_channel(channels)]})

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
            self.tiles.append(label)  # type: ignore[arg-type] - deleted with the tiles
            for j, n in enumerate(neighbours):
                tile = NeighbourTile(layer, n, self.grid_host)
                tile.show_neighbour(input_rgba(result["thumbs"][n.row], result["masks"][n.row]))
                tile.clicked.connect(self.select)
                tile.double_clicked.connect(self.open_neighbour)
                self.grid.addWidget(tile, i, j + 1)
                self.tiles.append(tile)
        for tile in self.tiles:
            # Shown now: a layout shows widgets added to a visible parent only from the
            # event loop, and until then the grid would be empty (in scripts, and in tests).
            tile.show()
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
        """Open the neighbour's case in the viewer, at its slice."""
        window, n = self.window_, tile.neighbour
        row = window.browser.row_of(n.case_id)
        if row is None:
            self.verdict.setText(f"{n.case_id} is not in the open data folder")
            return

        def go(loaded: Any) -> None:
            window.loader.loaded.disconnect(go)
            if loaded.case.id == n.case_id:
                c = window.state.cursor
                window.state.set_cursor((c[0], c[1], int(n.slice_index)))
                window.tabs.setCurrentIndex(0)

        if window.case is not None and window.case.id == n.case_id:
            c = window.state.cursor
            window.state.set_cursor((c[0], c[1], int(n.slice_index)))
            window.tabs.setCurrentIndex(0)
            return
        window.loader.loaded.connect(go)
        window.browser.select(n.case_id)
