"""Keeping the live training plots cheap to repaint while a run trains.

Measured in the main window on 2 cores while a run trained (``python -m benchmarks
--only gui_training``), two things made the window's longest stalls:

- **A full repaint of the three plots** (40 ms of the GUI thread) was mostly the axes
  replaying their drawing (tick labels and grid lines, ``QPicture.play``), with the
  legends and titles. Those items change rarely, so each is cached as a pixmap in device
  coordinates: Qt redraws it only when it calls ``update()`` or its geometry changes,
  and otherwise copies the pixmap. A full repaint then takes well under half the time.
- **An axis whose labels changed width** (the loss axis going from "0.1" to "0.01")
  resized itself, and the plot layout moved every item of all three plots: a full
  repaint several times in a run. The left axes get one fixed width, wide enough for
  the longest label they show.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

#: the widest tick label the left axes show: log-loss decades down to 1e-4, or 0.25
WIDEST_LABEL = "0.0001"


def fixed_axis_width(axis: pg.AxisItem, widest: str = WIDEST_LABEL) -> float:
    """The width pyqtgraph would give ``axis`` when its widest tick label is ``widest``.

    The same sum as ``AxisItem._updateWidth``: label text, its offset, the tick length
    and the rotated axis title.

    Parameters
    ----------
    axis
        A left or right axis, its label already set.
    widest
        The longest tick label it must fit.
    """
    font = axis.style["tickFont"] or axis.font()
    width = QtGui.QFontMetricsF(font).horizontalAdvance(widest)
    width += axis.style["tickTextOffset"][0] + max(0, axis.style["tickLength"])
    if axis.label.isVisible():
        width += axis.label.boundingRect().height() * 0.8
    return float(width)


def cache_rarely_changing(plot: pg.PlotItem, legend: pg.LegendItem | None = None) -> None:
    """Fix the left axis's width and cache the axes, title and legend as pixmaps.

    Parameters
    ----------
    plot
        A plot whose axis labels are set.
    legend
        Its legend, if it has one outside the plot.
    """
    left = plot.getAxis("left")
    left.setWidth(fixed_axis_width(left))
    cache = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
    items: list[QtWidgets.QGraphicsItem] = [plot.titleLabel, left, plot.getAxis("bottom")]
    if legend is not None:
        items.append(legend)
    for item in items:
        item.setCacheMode(cache)
