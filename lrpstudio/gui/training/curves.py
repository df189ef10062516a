"""Live training curves (pyqtgraph): losses, accuracy and validation TumorLRPScore.

Points arrive one batch at a time from the training worker; they are stored in the app's
:class:`~lrpstudio.app.curves.CurveStore` (plain lists) and drawn by a timer at most a few times a second, so
a fast training loop cannot flood the event loop. A per-batch series is drawn twice: the
raw values faint, their debiased EMA (the smoothing slider) bold. A per-epoch series
(``train_*``/``val_*``) is a handful of measurements: it is drawn raw, a marker on each.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.curves import BATCH_SERIES, CurveStore, debiased_ema, is_batch_series
from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.gui.training.cheap_paint import cache_rarely_changing
from lrpstudio.gui.training.log_axis import ThinLogAxis
from lrpstudio.gui.training.x_follow import SteppedXFollow
from lrpstudio.gui.training.y_follow import SteppedYFollow

#: plot title -> series shown in it (name, colour); batch series have no "val_"/"train_" prefix.
PLOTS: dict[str, list[tuple[str, str]]] = {
    "Loss": [("ce", "#1f77b4"), ("guidance", "#ff7f0e"), ("total", "#2ca02c"),
             ("val_total", "#d62728")],
    # Balanced accuracy beside accuracy: on imbalanced data a one-grade model scores a high
    # accuracy and 0.5 balanced accuracy, and the best epoch is chosen by the latter.
    "Accuracy": [("train_accuracy", "#1f77b4"), ("val_accuracy", "#d62728"),
                 ("val_balanced_accuracy", "#ff7f0e")],
    "Validation TumorLRPScore": [("val_score_lgg", "#9467bd"), ("val_score_hgg", "#8c564b")],
}
#: plot title -> y-axis label
Y_LABELS = {"Loss": "loss", "Accuracy": "accuracy", "Validation TumorLRPScore": "TumorLRPScore"}
#: plots of quantities in [0, 1]: a fixed y range instead of zooming in on noise
BOUNDED = ("Accuracy", "Validation TumorLRPScore")
BOUNDED_MARGIN = 0.06  # room for the 0 and 1 tick labels
#: legend text where the plot title already says what a series is (hover keeps full names)
LEGEND_NAMES = {"val_total": "val", "train_accuracy": "train", "val_accuracy": "val",
                "val_balanced_accuracy": "val balanced",
                "val_score_lgg": "val LGG", "val_score_hgg": "val HGG"}
#: x-axis choice -> its label; "time" is wall-clock seconds since the run started
X_LABELS = {"step": "step", "epoch": "epoch", "time": "elapsed time (s)"}
REDRAW_MS = 250  # each plot is redrawn at most this often
#: per-epoch series drawn with their own marker and line style (default: "o", solid) where
#: colour alone would leave two legend glyphs alike (purple and brown LGG/HGG)
EPOCH_STYLES: dict[str, tuple[str, QtCore.Qt.PenStyle]] = {
    "val_score_lgg": ("o", QtCore.Qt.PenStyle.SolidLine),
    "val_score_hgg": ("t", QtCore.Qt.PenStyle.DashLine),
}


class CurvesWidget(QtWidgets.QWidget):
    """Three linked plots of a run's curves, with smoothing, x-axis choice, hover and export."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = CurveStore()
        self._dirty: set[str] = set()  # series with points not drawn yet
        self._unlinked: list[str] = []  # plots waiting to take the loss plot's new x range
        self._live = True  # points are arriving: the loss plot's ranges grow in steps
        self._drawn_at = {title: -math.inf for title in PLOTS}  # time.monotonic() of last redraw
        self._build()
        self._x_follow.restart()  # live points arrive into [0, 1], growing in steps
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REDRAW_MS // len(PLOTS))
        self._timer.timeout.connect(self._redraw_if_dirty)
        self._timer.start()

    def _build(self) -> None:
        self.x_axis = QtWidgets.QComboBox(self)
        self.x_axis.addItems(list(X_LABELS))
        self.x_axis.setToolTip("Horizontal axis: optimiser step, (fractional) epoch, or wall-clock "
                               "time in seconds since the run started")
        self.smoothing = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setToolTip("Smoothing of the per-batch losses (debiased EMA weight); their "
                                  "raw values stay faint. Per-epoch points are always drawn raw.")
        self.hover = QtWidgets.QLabel("", self)
        self.hover.setObjectName("curve_hover")
        self.hover.setWordWrap(True)  # four series with raw and smoothed values: two lines
        self.hover.setMinimumHeight(2 * self.hover.fontMetrics().lineSpacing())
        self.log_loss = QtWidgets.QCheckBox("log loss", self)
        self.log_loss.setChecked(True)
        self.log_loss.setToolTip("Logarithmic loss axis (LRPLoss starts far above CE when S is small)")
        self.png_button = QtWidgets.QPushButton("Export PNG…", self)
        self.csv_button = QtWidgets.QPushButton("Export CSV…", self)
        bar = QtWidgets.QHBoxLayout()
        for widget in (QtWidgets.QLabel("x:"), self.x_axis, QtWidgets.QLabel("smoothing:"),
                       self.smoothing, self.log_loss, self.png_button, self.csv_button):
            bar.addWidget(widget)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self.items: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        for col, title in enumerate(PLOTS):
            self._add_plot(col, title)
        self.graphics.ci.layout.setRowStretchFactor(0, 1)  # the legends take only their height
        self.graphics.ci.layout.setRowStretchFactor(1, 0)
        for title in BOUNDED:  # one x range for all three: the same moment lines up
            self.plots[title].setXLink(self.plots["Loss"])
        # While points arrive the x range grows in steps: moving it at every redraw
        # repainted all three linked plots (the window's main stall while training).
        # At a step the linked plots are let go and take the new range one per timer
        # tick: re-ranging and repainting all three at once held the GUI thread for
        # 40-55 ms on 2 cores, one plot at a time takes a third of that.
        self._x_follow = SteppedXFollow(self.plots["Loss"].getViewBox(),
                                        before_step=self._unlink_followers)
        self._y_follow = SteppedYFollow(self.plots["Loss"].getViewBox())
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.hover)
        self.x_axis.currentIndexChanged.connect(lambda _i: self._x_changed())
        self.log_loss.toggled.connect(self._set_log)
        self.plots["Loss"].setLogMode(y=True)
        self.smoothing.valueChanged.connect(lambda _v: self.redraw(BATCH_SERIES))
        self.png_button.clicked.connect(lambda: self._ask_export("png"))
        self.csv_button.clicked.connect(lambda: self._ask_export("csv"))
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse)
        self.graphics.installEventFilter(self)

    def _add_plot(self, col: int, title: str) -> None:
        axes = {"left": ThinLogAxis("left")} if title == "Loss" else None
        plot = self.graphics.addPlot(row=0, col=col, axisItems=axes)
        # A long title would make its plot wider than the others; the y label names it in full.
        # In the palette's text colour: pyqtgraph's default light grey is hard to read on white.
        text = self.palette().color(QtGui.QPalette.ColorRole.WindowText).name()
        plot.setTitle("Validation score" if title == "Validation TumorLRPScore" else title,
                      color=text)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("left", Y_LABELS[title])
        plot.setLabel("bottom", X_LABELS[self.x_axis.currentText()])
        for side in ("left", "bottom"):  # a label turns on "(x0.001)" scaling, wrong on a log axis
            plot.getAxis(side).enableAutoSIPrefix(False)
        # Fewer minor step labels than pyqtgraph's default ("1 2 3 … 15" on a short run).
        plot.getAxis("bottom").setStyle(textFillLimits=[(0, 0.8), (2, 0.45), (4, 0.3), (6, 0.2)])
        # Draw at most about one point per pixel, and only what is in view: a long
        # run has tens of thousands of steps, and drawing every segment of every
        # curve took ~90 ms per redraw at 20,000 steps, stalling the interface.
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        if title in BOUNDED:
            plot.setYRange(-BOUNDED_MARGIN, 1 + BOUNDED_MARGIN, padding=0)
            plot.setLimits(yMin=-BOUNDED_MARGIN, yMax=1 + BOUNDED_MARGIN)
            plot.setMouseEnabled(y=False)
            plot.enableAutoRange(x=False)  # its x range follows the loss plot's (linked)
        # The legend sits below the plot, outside the data, so it never hides a curve.
        legend = pg.LegendItem(offset=None, colCount=2, labelTextSize="8pt",
                               horSpacing=2, verSpacing=-6, labelTextColor=text)
        self.graphics.addItem(legend, row=1, col=col)
        self.plots[title], self.legends[title] = plot, legend
        cache_rarely_changing(plot, legend)
        for name, colour in PLOTS[title]:
            raw = plot.plot([], [], pen=pg.mkPen(pg.mkColor(colour).lighter(160), width=1))
            epoch = not is_batch_series(name)
            symbol, line = EPOCH_STYLES.get(name, ("o", QtCore.Qt.PenStyle.SolidLine))
            bold = plot.plot([], [], pen=pg.mkPen(colour, width=2.5 if not epoch else 1.5,
                                                  style=line),
                             symbol=symbol if epoch else None, symbolSize=6, symbolBrush=colour,
                             symbolPen=colour)
            legend.addItem(bold, LEGEND_NAMES.get(name, name))
            self.items[name] = (raw, bold)
            for item in (raw, bold):
                # pyqtgraph re-plots an item whenever its y range moves, to keep points
                # within 1e6 view heights (a Qt clipping issue at extreme zoom): losses
                # and scores never get there, and the re-plot rebuilt the epoch markers
                # at every auto-range of the loss axis.
                item.setDynamicRangeLimit(None)
            if epoch:  # a few points: nothing to thin out or clip, nor to re-plot on a range change
                bold.setDownsampling(auto=False)
                bold.setClipToView(False)
                # The legend draws the marker from the scatter's own style, which pyqtgraph
                # sets only with the first points: a run without epochs yet showed grey-blue
                # markers for every series.
                bold.scatter.setBrush(pg.mkBrush(colour))
                bold.scatter.setPen(pg.mkPen(colour))
                bold.scatter.setSize(6)

    def _x_changed(self) -> None:
        for plot in self.plots.values():
            plot.setLabel("bottom", X_LABELS[self.x_axis.currentText()])
        self.hover.clear()
        self.redraw()
        self.plots["Loss"].enableAutoRange(x=True)

    def _set_log(self, on: bool) -> None:
        self.plots["Loss"].setLogMode(y=bool(on))
        self.redraw()

    # -- data ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget all points (a new run), emptying one plot per timer tick.

        A new run starts while its worker loads data and builds the model: emptying and
        re-ranging all three plots at once was one repaint of 40 ms in the GUI thread.
        The x range starts again at [0, 1] and grows in steps from there.
        """
        self.store = CurveStore()
        self.hover.clear()  # it described the previous run
        self._dirty = set(self.items)  # drawn empty at the next ticks, one plot each
        self._live = True
        self._unlink_followers()
        self._x_follow.restart()
        self._y_follow.restart()

    def finish(self) -> None:
        """The run ended: fit the axes to the data; the linked plots take the final range,
        and any points not drawn yet are drawn, one plot per timer tick (as while it ran)."""
        self._live = False
        self._unlink_followers()
        self._x_follow.fit()
        self._y_follow.fit()

    def set_store(self, store: CurveStore) -> None:
        """Show a finished run's curves."""
        self.store = store
        self.hover.clear()  # it described the previous run
        self.redraw()
        self.plots["Loss"].enableAutoRange(x=True)

    def add_batch(self, step: int, parts: dict[str, float]) -> None:
        """A batch point (drawn at the next timer tick)."""
        self.store.add_batch(step, parts)
        self._dirty.update(name for name in BATCH_SERIES if name in parts)

    def add_epoch(self, epoch: int, row: dict[str, float]) -> None:
        """An epoch's metrics (drawn at the next timer tick)."""
        self.store.add_epoch(epoch, row)
        self._dirty.update(name for name in row if name.startswith(("train_", "val_")))

    @property
    def weight(self) -> float:
        """The EMA weight the slider stands for."""
        return self.smoothing.value() / 100.0

    def xy(self, name: str, smoothed: bool) -> tuple[np.ndarray, np.ndarray]:
        """The x and y values of a series (empty when it has no points).

        Only per-batch series are smoothed: an epoch series is measurements, and its
        markers must sit on the measured values, so ``smoothed`` is ignored for it.
        """
        s = self.store.series.get(name)
        if s is None or not len(s):
            return np.zeros(0), np.zeros(0)
        axis = self.x_axis.currentText()
        x = s.steps if axis == "step" else s.seconds if axis == "time" else s.epochs
        y = s.values
        if smoothed and is_batch_series(name):
            y = debiased_ema(y, self.weight)
        keep = np.isfinite(y) & np.isfinite(x)
        return x[keep], y[keep]

    def _redraw_if_dirty(self) -> None:
        """Redraw one plot with new points (the one waiting longest), if it is due.

        One plot per timer tick: at the end of an epoch all three plots change, and
        painting them in one go took ~40 ms on 2 cores while the training ran; spread
        over three ticks, no single paint holds the event loop that long. A plot let go
        at an x step (:meth:`_unlink_followers`) takes the new range first, also one
        per tick.
        """
        if self._unlinked:
            self.plots[self._unlinked.pop(0)].setXLink(self.plots["Loss"])  # takes its range now
            return
        now = time.monotonic()
        for title in sorted(self._drawn_at, key=self._drawn_at.__getitem__):
            names = self._dirty & {name for name, _colour in PLOTS[title]}
            if names and now - self._drawn_at[title] >= REDRAW_MS / 1000:
                self._drawn_at[title] = now
                self.redraw(names)
                if title == "Loss" and self._live:  # after the end: the fitted ranges stay
                    self._follow_x()
                    self._follow_y()
                return

    def _unlink_followers(self) -> None:
        """Let the linked plots go before the loss plot's x range steps (relinked by ticks)."""
        for title in BOUNDED:
            if title not in self._unlinked:
                self.plots[title].setXLink(None)
                self._unlinked.append(title)

    def _link_followers(self) -> None:
        """Link every plot let go at a step again now (a full redraw fits all three)."""
        while self._unlinked:
            self.plots[self._unlinked.pop(0)].setXLink(self.plots["Loss"])

    def _follow_x(self) -> None:
        """Move the live x range, in steps, to take in the loss plot's newest point."""
        ends = [float(x[-1]) for name, _colour in PLOTS["Loss"]
                if (x := self.items[name][1].xData) is not None and len(x)]
        if ends:
            self._x_follow.follow(max(ends))

    def _follow_y(self) -> None:
        """Step the loss plot's y range, if needed, to take in every point drawn (raw and smoothed)."""
        log = self.log_loss.isChecked()
        lows, highs = [], []
        for name, _colour in PLOTS["Loss"]:
            for item in self.items[name]:
                y = item.yData
                if y is None or not len(y):
                    continue
                y = np.log10(y) if log else y  # the log curves hold only positive values
                lows.append(float(np.min(y)))
                highs.append(float(np.max(y)))
        if lows:
            self._y_follow.follow(min(lows), max(highs), log)

    def redraw(self, names: Iterable[str] | None = None) -> None:
        """Draw the series ``names`` (all when None: the x range fits the data again) now."""
        if names is None:
            self._link_followers()
            self._x_follow.fit()
            self._y_follow.fit()
        names = set(self.items) if names is None else set(names) & set(self.items)
        self._dirty -= names
        log_names = {n for n, _c in PLOTS["Loss"]} if self.log_loss.isChecked() else set()
        empty = np.zeros(0)
        for name in names:
            faint, bold = self.items[name]
            batch = is_batch_series(name)
            for item, smoothed in ((faint, False), (bold, True)):
                if item is faint and not batch:  # an epoch series is drawn once, raw
                    item.setData(empty, empty)
                    continue
                x, y = self.xy(name, smoothed)
                if name in log_names:  # a log axis cannot show 0 (plain CE has no guidance term)
                    x, y = x[y > 0], y[y > 0]
                item.setData(x, y, skipFiniteCheck=True)

    def point_count(self, name: str) -> int:
        """Points given to a series' bold curve (before it is thinned out for display)."""
        x = self.items[name][1].xData
        return 0 if x is None else len(x)

    # -- hover and export ---------------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        """Clear the hover read-out when the mouse leaves the plots."""
        if watched is self.graphics and event.type() == QtCore.QEvent.Type.Leave:
            self.hover.clear()
        return super().eventFilter(watched, event)

    def _on_mouse(self, pos: Any) -> None:
        for title, plot in self.plots.items():
            if plot.vb.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                self.hover.setText(self.values_at(title, x))
                return
        self.hover.clear()  # between plots or over a legend: nothing is pointed at

    def values_at(self, title: str, x: float) -> str:
        """The measured value of each series of a plot at the point nearest to ``x``.

        A per-batch series also gives its smoothed value, labelled as such; the bold
        curve of a batch series is that smoothed value, not a measurement.
        """
        parts = []
        axis = self.x_axis.currentText()
        for name, _colour in PLOTS[title]:
            xs, ys = self.xy(name, False)
            if not xs.size:
                continue
            i = int(np.argmin(np.abs(xs - x)))
            text = f"{name} {ys[i]:.4g}"
            if is_batch_series(name) and self.weight > 0:
                text += f" (smoothed {self.xy(name, True)[1][i]:.4g})"
            parts.append(f"{text} @ {axis} {xs[i]:.4g}")
        return f"{title}: " + ";  ".join(parts) if parts else ""

    def export_png(self, path: str | Path) -> Path:
        """Save the plots as a PNG picture."""
        self.redraw()
        image = self.graphics.grab()
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return Path(path)

    def export_csv(self, path: str | Path) -> Path:
        """Save every point (raw values) as CSV: series, step, epoch, value."""
        return atomic_write_text(Path(path), self.store.to_csv())

    def _ask_export(self, kind: str) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export curves ({kind.upper()})",
                                                        f"curves.{kind}", f"*.{kind}")
        if name:
            (self.export_png if kind == "png" else self.export_csv)(name)
