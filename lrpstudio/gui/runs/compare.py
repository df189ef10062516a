"""Drawing run comparisons: the Fig. 5 grid, a run's saved Fig. 7 in a dialog, the epoch
axis and the ± sd band of a group of seeds.

The arrays come from the app (:func:`lrpstudio.app.compare.comparison_arrays`,
:func:`lrpstudio.app.compare.heatmap_inputs`); :class:`Fig5Grid` draws them, or one line
saying why there is none.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.datasets import GRADES
from lrpstudio.app.pictures import caption, heat_rgba, input_rgba, mask_rgba
from lrpstudio.app.curves import epoch_times
from lrpstudio.app.run_info import read_metrics
from lrpstudio.app.run_summaries import short_labels, to_csv, to_markdown
from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.gui.common.heat_tiles import Tile, drop_tiles
from lrpstudio.gui.training.fig7_view import Fig7View, even_heights


class HeatmapsDialog(QtWidgets.QDialog):
    """A non-modal window with a run's saved Fig. 7 (:attr:`fig7`): every epoch, an epoch slider.

    Parameters
    ----------
    parent
        The window's parent (it closes with it).
    run
        The run folder (its heatmaps/epoch_XXX.npz are read).
    inputs
        :func:`lrpstudio.app.compare.heatmap_inputs` of the run.
    """

    def __init__(self, parent: QtWidgets.QWidget, run: Path, inputs: dict[str, Any]) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Fig. 7 heatmaps: {short_labels([run])[0]} ({run.name})")
        self.fig7 = Fig7View(self)
        self.fig7.load_saved_epochs(run)
        self.fig7.set_inputs(inputs)
        QtWidgets.QVBoxLayout(self).addWidget(self.fig7)
        self.resize(min(1200, 160 * len(inputs["titles"]) + 60), 420)


def heatmaps_dialog(parent: QtWidgets.QWidget, run: Path, inputs: dict[str, Any]) -> HeatmapsDialog:
    """A shown :class:`HeatmapsDialog` of ``run``."""
    dialog = HeatmapsDialog(parent, run, inputs)
    dialog.show()
    return dialog


class EpochAxis(pg.AxisItem):
    """An x axis of whole epochs: tick spacings below one epoch are raised to one (while
    :attr:`whole` is on; off, for a time axis, the ticks are pyqtgraph's)."""

    whole = True

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802 - Qt API
        if not self.whole:
            return list(super().tickSpacing(minVal, maxVal, size))
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
        """Draw a :func:`lrpstudio.app.compare.comparison_arrays` result."""
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
        self._even_rows(len(arrays["titles"]), 2 + len(arrays["names"]))

    def _even_rows(self, rows: int, columns: int) -> None:
        """Titles and captions of a row as tall as its tallest (wrapped) one: the pictures
        of a row line up, and a two-line caption is not drawn over its picture."""
        for row in range(rows):
            tiles = self.tiles[row * columns:(row + 1) * columns]
            even_heights([tile.title for tile in tiles])
            even_heights([tile.caption for tile in tiles])

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
        self.grid.addWidget(tile, row + 1, col, QtCore.Qt.AlignmentFlag.AlignTop)  # row 0: the note
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


def draw_run(plot: pg.PlotItem, run: Path, label: str, metric: str, colour: str, timed: bool) -> str | None:
    """One run's measured points of ``metric``, joined, by epoch or (``timed``) by seconds
    from the run's start to each epoch's end; a one-line problem instead when its records
    cannot be read."""
    try:
        rows = read_metrics(run)
        times = epoch_times(run) if timed else None
    except LrpStudioError as error:
        return f"{run.name} not drawn: {error.detail()}"
    shown = [r for r in rows if math.isfinite(r.get(metric, math.nan))
             and (times is None or int(r["epoch"]) in times)]
    xs = [r["epoch"] if times is None else times[int(r["epoch"])] for r in shown]
    plot.plot(xs, [r[metric] for r in shown], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
              symbolBrush=colour, name=label)
    return None


def write_table(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """The runs table as CSV or Markdown (by the file's suffix)."""
    path = Path(path)
    return atomic_write_text(path, to_markdown(rows) if path.suffix.lower() == ".md" else to_csv(rows))


def write_pictures(stem: str | Path, widgets: dict[str, QtWidgets.QWidget]) -> list[Path]:
    """Each widget grabbed to ``<stem><suffix>`` (PNG), by suffix."""
    stem = Path(stem)
    out = []
    for suffix, widget in widgets.items():
        path = stem.with_name(stem.stem + suffix)
        if not widget.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        out.append(path)
    return out
