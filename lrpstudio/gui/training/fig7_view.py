"""The paper's Fig. 7, live: the pinned slices' heatmaps, epoch by epoch.

Each pinned slice is a column: its input with the tumour outline, and its heatmap at
the chosen epoch with the TumorLRPScore and the prediction. One symmetric colour scale
per run (fixed by the engine from the first heatmaps) so colours mean the same in every
epoch. An epoch slider walks back in time; "follow latest" jumps to each new epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.datasets import GRADES
from lrpstudio.app.run_info import saved_heatmaps
from lrpstudio.app.pictures import caption, heat_rgba, input_rgba
from lrpstudio.gui.common.heat_tiles import Tile, colour_bar

FIG7_TILE_PX = 128
PREMADE_COLUMNS = 6  # tiles made with the view: the Training form's default number of pinned slices
#: Choices of the colour scale: multiples of the run's fixed scale (set from epoch 1).
SCALE_FACTORS = (1, 2, 4, 8)
SCORE_HELP = ("S = TumorLRPScore: the share of the slice's positive relevance that lies inside "
              "the tumour mask (1 = all of it). pred = the model's grade; ok/wrong against the "
              "true grade.")


def even_heights(labels: list[QtWidgets.QLabel]) -> None:
    """Give word-wrapped labels the height of the tallest, at the width they wrap at."""
    heights = [max(label.heightForWidth(label.maximumWidth()), label.minimumSizeHint().height())
               for label in labels if label.text()]
    for label in labels:
        label.setMinimumHeight(max(heights, default=0))


class Fig7View(QtWidgets.QWidget):
    """Pinned slices x epochs, with an epoch slider and "follow latest"."""

    epoch_shown = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[str, Any] | None = None
        self.epochs: dict[int, dict[str, np.ndarray]] = {}
        self.vmax: float | None = None
        self.current: int | None = None
        self.columns: list[tuple[Tile, Tile]] = []  # the pinned slices' tiles, in view
        # Tiles are made once and reused, run after run: making a run's twelve tiles (and
        # laying them out) held the GUI thread ~20 ms as the first heatmaps arrived.
        self._pool: list[tuple[Tile, Tile]] = []
        self._build()
        self._reserve(PREMADE_COLUMNS)

    def _build(self) -> None:
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Epoch shown")
        self.follow = QtWidgets.QCheckBox("Follow latest", self)
        self.follow.setChecked(True)
        self.epoch_label = QtWidgets.QLabel("no heatmaps yet", self)
        self.scale_label = QtWidgets.QLabel("", self)
        self.scale_bar = QtWidgets.QLabel(self)
        self.scale_factor = QtWidgets.QComboBox(self)
        self.scale_factor.addItems([f"scale ×{f}" for f in SCALE_FACTORS])
        self.scale_factor.setToolTip(
            "One colour scale for every epoch, fixed from the first epoch's heatmaps. Relevance "
            "concentrates as training goes on and may saturate later epochs: widen the scale "
            "(it stays the same for all epochs).")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Epoch:"))
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.epoch_label)
        bar.addWidget(self.follow)
        bar.addWidget(self.scale_bar)
        bar.addWidget(self.scale_label)
        bar.addWidget(self.scale_factor)
        self.grid_host = QtWidgets.QWidget(self)
        self.grid = QtWidgets.QGridLayout(self.grid_host)
        self.grid.setSpacing(4)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)
        self.slider.valueChanged.connect(self._on_slider)
        self.scale_factor.currentIndexChanged.connect(lambda _i: self._rescale())
        self.follow.toggled.connect(self._on_follow)

    def _on_follow(self, on: bool) -> None:
        if on and self.epochs:
            self.show_epoch(max(self.epochs))

    # -- data ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run shown."""
        self.inputs, self.epochs, self.vmax, self.current = None, {}, None, None
        self._show_columns(0)
        self.slider.setEnabled(False)
        self.epoch_label.setText("no heatmaps yet")
        self.scale_label.setText("")
        self.scale_bar.clear()

    def set_inputs(self, inputs: dict[str, Any]) -> None:
        """The pinned slices: images (N,H,W), masks, labels, titles and, when the job drew
        them, their pictures (see :func:`lrpstudio.app.training.pinned_inputs`)."""
        self.inputs = inputs
        pictures = inputs.get("pictures")
        self._show_columns(len(inputs["titles"]))
        for i, ((inp, _heat), title) in enumerate(zip(self.columns, inputs["titles"])):
            picture = pictures[i] if pictures is not None else input_rgba(inputs["images"][i], inputs["masks"][i])
            inp.show_rgba(picture, title, f"true {GRADES[int(inputs['labels'][i])]}")
        self._even_rows()
        if self.current is not None:
            self.show_epoch(self.current)

    def _reserve(self, count: int) -> None:
        """Make tiles (hidden, in the grid) until there are ``count`` columns of them."""
        top = QtCore.Qt.AlignmentFlag.AlignTop  # tiles keep their height: pictures line up
        while len(self._pool) < count:
            i = len(self._pool)
            inp, heat = Tile(self.grid_host, FIG7_TILE_PX), Tile(self.grid_host, FIG7_TILE_PX)
            heat.caption.setToolTip(SCORE_HELP)
            for row, tile in enumerate((inp, heat)):
                tile.hide()  # hidden tiles take no room in the grid
                self.grid.addWidget(tile, row, i, top)
            self._pool.append((inp, heat))

    def _show_columns(self, count: int) -> None:
        """Show the first ``count`` columns of tiles, emptied, and hide the rest."""
        self._reserve(count)
        self.columns = self._pool[:count]
        for column in self.columns:
            for tile in column:
                tile.clear()
                tile.show()
        for column in self._pool[count:]:
            for tile in column:
                tile.hide()

    def add_epoch(self, epoch: int, arrays: dict[str, np.ndarray]) -> None:
        """One epoch's heatmaps (relevance, scores, predictions, labels, vmax)."""
        self.epochs[int(epoch)] = arrays
        if self.vmax is None:
            self.vmax = float(arrays["vmax"])  # the run's one scale
            self._show_scale()
        blocker = QtCore.QSignalBlocker(self.slider)
        self.slider.setRange(min(self.epochs), max(self.epochs))
        del blocker
        self.slider.setEnabled(True)
        if self.follow.isChecked() or self.current is None:
            self.show_epoch(int(epoch))

    def load_saved_epochs(self, run_dir: str | Path) -> int:
        """Add the heatmaps a run already wrote (heatmaps/epoch_XXX.npz); returns how many."""
        count = 0
        for epoch, arrays in saved_heatmaps(run_dir).items():
            if epoch not in self.epochs:
                self.epochs[epoch] = arrays
                count += 1
        if self.epochs:
            latest = max(self.epochs)
            self.add_epoch(latest, self.epochs[latest])
        return count

    # -- drawing ------------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        if value in self.epochs:
            if value != max(self.epochs):
                self.follow.setChecked(False)  # looking back: stop jumping forward
            self.show_epoch(value)

    def show_epoch(self, epoch: int) -> None:
        """Draw the heatmaps of ``epoch``."""
        arrays = self.epochs.get(int(epoch))
        if arrays is None:
            return
        self.current = int(epoch)
        blocker = QtCore.QSignalBlocker(self.slider)
        self.slider.setValue(self.current)
        del blocker
        self.epoch_label.setText(f"epoch {self.current} of {max(self.epochs)}")
        vmax = self.shown_vmax or float(arrays["vmax"])
        labels = self.inputs["labels"] if self.inputs is not None else arrays.get("labels")
        for i, (_inp, heat) in enumerate(self.columns):
            if i >= len(arrays["relevance"]):
                break
            label = None if labels is None else int(labels[i])
            heat.show_rgba(heat_rgba(arrays["relevance"][i], vmax), f"epoch {self.current}",
                           caption(float(arrays["scores"][i]), int(arrays["predictions"][i]), label))
        self._even_rows()
        self.epoch_shown.emit(self.current)

    def _even_rows(self) -> None:
        """Titles and captions of a row as tall as its tallest (wrapped) one, so that the
        pictures of a row and the captions under them stay on one line."""
        for row in range(2):
            tiles = [column[row] for column in self.columns]
            for part in ("title", "caption"):
                even_heights([getattr(tile, part) for tile in tiles])

    @property
    def shown_vmax(self) -> float | None:
        """The colour limit drawn: the run's fixed scale times the chosen factor."""
        if self.vmax is None:
            return None
        return self.vmax * SCALE_FACTORS[max(0, self.scale_factor.currentIndex())]

    def _show_scale(self) -> None:
        vmax = self.shown_vmax
        if vmax is None:
            return
        self.scale_label.setText(f"±{vmax:.3g}")
        self.scale_bar.setPixmap(colour_bar(vmax))
        self.scale_bar.setToolTip(f"relevance from -{vmax:.3g} (blue: against the true grade) to "
                                  f"+{vmax:.3g} (red: for it); relevance of a slice sums to 1 in |R|")

    def _rescale(self) -> None:
        self._show_scale()
        if self.current is not None:
            self.show_epoch(self.current)

    def captions(self) -> list[str]:
        """The heatmap captions shown now (score and prediction per pinned slice)."""
        return [heat.caption.text() for _inp, heat in self.columns]
