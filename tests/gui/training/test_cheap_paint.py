"""The live plots stay cheap to repaint: fixed axis widths, cached axes, legends and titles
that still show every change, legend markers in their series' colours from the start."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from lrpstudio.app.curves import is_batch_series
from lrpstudio.gui.training.cheap_paint import fixed_axis_width
from lrpstudio.gui.training.curves import PLOTS, CurvesWidget

CACHED = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


def _shown(qtbot) -> CurvesWidget:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget._timer.stop()  # ticks by hand
    widget.resize(1000, 330)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _region(widget: CurvesWidget, title: str, side: str) -> np.ndarray:
    """The pixels of one axis of one plot, as drawn on screen now."""
    axis = widget.plots[title].getAxis(side)
    rect = axis.mapRectToScene(axis.boundingRect()).toAlignedRect()
    image = widget.graphics.grab(widget.graphics.mapFromScene(rect).boundingRect()).toImage()
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())


def test_left_axes_keep_one_width_whatever_their_labels(qtbot) -> None:
    widget = _shown(qtbot)
    widths = {title: plot.getAxis("left").width() for title, plot in widget.plots.items()}
    assert len(set(widths.values())) == 1  # the plots line up
    loss = widget.plots["Loss"]
    for low, high in ((-4, 1), (-0.5, 0.5), (0, 3)):  # labels from 0.0001 to 1000
        loss.setYRange(low, high, padding=0)
        qtbot.wait(10)
        assert loss.getAxis("left").width() == widths["Loss"]
    axis = loss.getAxis("left")
    assert fixed_axis_width(axis) > QtGui.QFontMetricsF(axis.font()).horizontalAdvance("0.0001")


def test_cached_axes_are_drawn_again_when_their_range_changes(qtbot) -> None:
    widget = _shown(qtbot)
    for plot in widget.plots.values():
        assert plot.getAxis("left").cacheMode() == CACHED and plot.titleLabel.cacheMode() == CACHED
    assert all(legend.cacheMode() == CACHED for legend in widget.legends.values())
    loss = widget.plots["Loss"]
    loss.setYRange(-2, 0, padding=0)
    qtbot.wait(20)
    before = _region(widget, "Loss", "left")
    loss.setYRange(-1, 2, padding=0)  # other tick labels: a stale cached picture would not show them
    qtbot.wait(20)
    after = _region(widget, "Loss", "left")
    assert before.shape == after.shape and not np.array_equal(before, after)
    loss.setYRange(-2, 0, padding=0)  # back: the same picture as at first
    qtbot.wait(20)
    np.testing.assert_array_equal(_region(widget, "Loss", "left"), before)


def test_legend_markers_have_their_series_colour_before_the_first_epoch(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    for series in PLOTS.values():
        for name, colour in series:
            if not is_batch_series(name):
                opts = widget.items[name][1].scatter.opts  # what the legend draws the marker with
                assert opts["brush"].color().name() == colour and opts["pen"].color().name() == colour


@pytest.mark.parametrize("log", [True, False])
def test_a_range_change_does_not_replot_the_epoch_markers(qtbot, monkeypatch, log: bool) -> None:
    widget = _shown(qtbot)
    widget.log_loss.setChecked(log)
    widget.add_epoch(1, {"val_total": 0.9})
    widget.redraw()
    scatter = widget.items["val_total"][1].scatter
    calls: list[int] = []
    original = scatter.setData
    monkeypatch.setattr(scatter, "setData", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    widget.plots["Loss"].setXRange(0, 50, padding=0)
    widget.plots["Loss"].setYRange(-1, 1, padding=0)
    assert calls == []
