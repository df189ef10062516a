"""Comparing runs: the Fig. 5 arrays and grid, a run's Fig. 7 inputs, the epoch axis and
the ± sd band of a group of seeds.

:func:`comparison_arrays` explains the same slices with each selected run's best model
(in a worker thread); :class:`Fig5Grid` draws the result, or one line saying why there is
none. :func:`heatmap_inputs` finds a finished run's pinned slices in the open data so its
saved Fig. 7 heatmaps can be shown again.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.engine import to_batch
from lrpstudio.core.train.evaluate import check_compatible, load_run_model
from lrpstudio.core.train.heatmaps import colour_scale, display_channel, explain_batch, pin_slices
from lrpstudio.core.train.pinned import user_rows
from lrpstudio.core.xai.pictures import caption, heat_rgba, input_rgba, mask_rgba
from lrpstudio.gui.explain_view import ViewerSlice, explain_current
from lrpstudio.gui.fig7_view import Fig7View
from lrpstudio.gui.heat_tiles import Tile, drop_tiles
from lrpstudio.gui.run_table import pinned_slices, short_labels
from lrpstudio.gui.training_worker import pinned_inputs

def comparison_arrays(dataset: SliceDataset, runs: list[Path], split: str, count: int,
                      seed: int = 0, current: ViewerSlice | None = None) -> dict[str, Any]:
    """Explain the same ``count`` slices of ``split`` with each run's best model (Fig. 5).

    With ``current`` the viewer's slice is the last row, prepared like the dataset and
    scored against the viewer's mask (see :func:`lrpstudio.gui.explain_view.explain_current`).

    Returns
    -------
    dict
        images (N,H,W) grey, masks, labels, titles, names (run folders), display (their
        short labels) and maps: per run a dict of relevance, scores, predictions and its
        colour scale vmax.
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
              "display": short_labels([Path(r) for r in runs]),
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


def heatmap_inputs(dataset: SliceDataset, run_dir: str | Path) -> dict[str, Any]:
    """The Fig. 7 inputs (grey image, mask, label, title) of a run's pinned slices.

    The slices are looked up by case and slice number (heatmaps/pinned.json), so any
    dataset of the open data at the run's image size serves, whatever split they were in.
    """
    pairs = pinned_slices(run_dir)
    rows = user_rows(dataset, tuple(pairs))
    if len(rows) != len(pairs):
        found = {(str(dataset.case_ids[r]), int(dataset.slice_index[r])) for r in rows}
        case, z = next(p for p in pairs if p not in found)
        raise LrpStudioError(f"pinned slice {case} z{z} is not in the open data", run_dir)
    return pinned_inputs(dataset, np.asarray(rows, dtype=np.int64))


def heatmaps_dialog(parent: QtWidgets.QWidget, run: Path, inputs: dict[str, Any]) -> QtWidgets.QDialog:
    """A shown, non-modal window with a run's saved Fig. 7: every epoch, an epoch slider.

    Parameters
    ----------
    parent
        The window's parent (it closes with it).
    run
        The run folder (its heatmaps/epoch_XXX.npz are read).
    inputs
        :func:`heatmap_inputs` of the run. The view is ``dialog.fig7``.
    """
    dialog = QtWidgets.QDialog(parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowTitle(f"Fig. 7 heatmaps: {short_labels([run])[0]} ({run.name})")
    view = Fig7View(dialog)
    view.load_saved_epochs(run)
    view.set_inputs(inputs)
    QtWidgets.QVBoxLayout(dialog).addWidget(view)
    dialog.resize(min(1200, 160 * len(inputs["titles"]) + 60), 420)
    dialog.fig7 = view  # type: ignore[attr-defined]  # for scripts and tests
    dialog.show()
    return dialog


class EpochAxis(pg.AxisItem):
    """An x axis of whole epochs: tick spacings below one epoch are raised to one."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802
        levels: list[tuple[float, float]] = []
        for spacing, offset in super().tickSpacing(minVal, maxVal, size):
            level = (float(max(1, math.ceil(spacing))), float(round(offset)))
            if level not in levels:
                levels.append(level)
        return levels


class Fig5Grid(QtWidgets.QWidget):
    """Rows = slices; columns = input, mask, then one heatmap per model."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QtWidgets.QGridLayout(self)
        self.grid.setSpacing(3)
        self.note = QtWidgets.QLabel("Select runs and press Compare to draw Fig. 5", self)
        self.note.setWordWrap(True)
        self.grid.addWidget(self.note, 0, 0, 1, -1)
        self.tiles: list[Tile] = []
        self.arrays: dict[str, Any] | None = None

    def clear(self, message: str) -> None:
        """Remove the grid and say why there is none."""
        drop_tiles(self.tiles)
        self.tiles, self.arrays = [], None
        self.note.setText(message)
        self.note.show()

    def show_arrays(self, arrays: dict[str, Any]) -> None:
        """Draw a :func:`comparison_arrays` result."""
        self.clear("")
        self.note.hide()
        self.arrays = arrays
        display = arrays.get("display", arrays["names"])
        for i, title in enumerate(arrays["titles"]):
            label = int(arrays["labels"][i])
            self._add(i, 0, input_rgba(arrays["images"][i], None), f"{title} ({GRADES[label]})", "input")
            self._add(i, 1, mask_rgba(arrays["masks"][i]), "tumour mask", "")
            for j, (name, m) in enumerate(zip(arrays["names"], arrays["maps"])):
                tile = self._add(i, j + 2, heat_rgba(m["relevance"][i], m["vmax"]), display[j] if i == 0 else "",
                                 caption(float(m["scores"][i]), int(m["predictions"][i]), label))
                tile.setToolTip(name)

    def mark_stale(self, selected: list[str]) -> bool:
        """Say so when the grid shows other runs than ``selected`` (run folder names)."""
        if self.arrays is None:
            return False
        shown = [str(n) for n in self.arrays["names"]]
        stale = sorted(shown) != sorted(selected)
        self.note.setText("This Fig. 5 is of the runs compared before; press Compare (Fig. 5) for "
                          "the selected runs" if stale else "")
        self.note.setVisible(stale)
        return stale

    def _add(self, row: int, col: int, rgba: np.ndarray, title: str, text: str) -> Tile:
        tile = Tile(self, size=120)
        tile.show_rgba(rgba, title, text)
        self.grid.addWidget(tile, row + 1, col)  # row 0 holds the note
        self.tiles.append(tile)
        return tile


#: Opacity of a group's ± sd band (0-255): the mean line and other runs show through it.
BAND_ALPHA = 60


def draw_band(plot: pg.PlotItem, epochs: np.ndarray, mean: np.ndarray, sd: np.ndarray,
              colour: str, label: str) -> tuple[pg.PlotDataItem, pg.FillBetweenItem | None]:
    """A group's mean curve (in the legend as ``label``) over a shaded ± sd band.

    Epochs where only one run has a value have no spread: the band is closed there.

    Returns
    -------
    tuple
        The mean curve and the band (None when there is nothing to shade).
    """
    line = plot.plot(epochs, mean, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                     symbolBrush=colour, name=label)
    if not len(epochs):
        return line, None
    spread = np.where(np.isfinite(sd), sd, 0.0)
    # The edges are drawn faintly; they are not measurements, so they stay out of the legend.
    edge = pg.mkPen(pg.mkColor(colour).lighter(150), width=1)
    lower = pg.PlotDataItem(epochs, mean - spread, pen=edge)
    upper = pg.PlotDataItem(epochs, mean + spread, pen=edge)
    fill = pg.mkColor(colour)
    fill.setAlpha(BAND_ALPHA)
    band = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(fill))
    for item in (lower, upper, band):
        plot.addItem(item)
    band.setZValue(line.zValue() - 1)  # under the mean line
    return line, band
