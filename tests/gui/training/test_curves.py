"""Live curves: storage that grows without copying lists, redraws of only what changed,
long runs thinned out for display; measurements drawn raw, readable axes and legends."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.curves import CurveStore, Series
from lrpstudio.gui.training.curves import BOUNDED, BOUNDED_MARGIN, PLOTS, CurvesWidget
from lrpstudio.gui.training.log_axis import ThinLogAxis


def _batch(step: int, batches: int = 10) -> dict[str, float]:
    epoch, batch = divmod(step - 1, batches)
    return {"epoch": epoch + 1.0, "batch": batch + 1.0, "batches": float(batches),
            "ce": 1.0 / step, "guidance": 0.5, "total": 0.5 + 1.0 / step, "score": 0.3}


def test_series_grows_past_its_buffer_and_hands_out_read_only_views() -> None:
    s = Series()
    for i in range(1000):
        s.add(i, i / 10, None if i == 7 else i * 2.0)
    assert len(s) == 1000
    np.testing.assert_array_equal(s.steps, np.arange(1000))
    assert np.isnan(s.values[7]) and s.values[999] == 1998.0
    with pytest.raises(ValueError):
        s.values[0] = 1.0


def test_csv_holds_plain_numbers() -> None:
    store = CurveStore()
    for step in range(1, 4):
        store.add_batch(step, _batch(step))
    text = store.to_csv()
    assert "np.float" not in text
    assert text.splitlines()[1] == "ce,1,0.1,1.0"


def test_a_batch_redraws_the_batch_curves_only(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    for step in range(1, 11):
        widget.add_batch(step, _batch(step))
    widget.add_epoch(1, {"train_accuracy": 0.5, "val_accuracy": 0.6})
    widget.redraw()
    calls: list[str] = []
    for name, (_raw, smooth) in widget.items.items():
        original = smooth.setData
        smooth.setData = lambda *a, _n=name, _o=original, **k: (calls.append(_n), _o(*a, **k))
    widget.add_batch(11, _batch(11))
    qtbot.waitUntil(lambda: bool(calls), timeout=2000)
    assert set(calls) == {"ce", "guidance", "total"}
    assert widget.point_count("total") == 11 and widget.point_count("val_accuracy") == 1


def test_a_long_run_is_thinned_out_for_display_but_keeps_every_point(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    qtbot.waitExposed(widget)
    for step in range(1, 20_001):
        widget.store.add_batch(step, _batch(step, batches=500))
    widget.redraw()
    qtbot.wait(50)
    assert widget.point_count("total") == 20_000
    shown, _ = widget.items["total"][0].getData()
    assert len(shown) < 5_000, "every segment of a long curve is drawn"


def test_an_epoch_end_is_drawn_one_plot_per_tick(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget._timer.stop()  # ticks by hand
    for step in range(1, 11):
        widget.add_batch(step, _batch(step))
    widget.add_epoch(1, {"val_total": 0.9, "train_accuracy": 0.5, "val_accuracy": 0.6,
                         "val_balanced_accuracy": 0.55, "val_score_lgg": 0.2, "val_score_hgg": 0.4})
    ranges = {title: plot.vb.viewRange()[0] for title, plot in widget.plots.items()}
    touched: list[set[str]] = []  # plots whose points or x range changed, per tick
    for _ in range(8):
        before = {name: widget.point_count(name) for name in widget.items}
        widget._redraw_if_dirty()
        drawn = {name for name in widget.items if widget.point_count(name) != before[name]}
        plots = {title for title, series in PLOTS.items() if drawn & {n for n, _c in series}}
        for title, plot in widget.plots.items():
            if list(plot.vb.viewRange()[0]) != list(ranges[title]):
                plots.add(title)
                ranges[title] = plot.vb.viewRange()[0]
        touched.append(plots)
    busy = [t for t in touched if t]
    assert all(len(t) == 1 for t in busy), f"a tick changed more than one plot: {touched}"
    assert 3 <= len(busy) <= 5 and not any(touched[len(busy):]), touched  # then nothing is due
    drawn_all = {name for name in widget.items if widget.point_count(name)}
    assert drawn_all == {n for series in PLOTS.values() for n, _c in series}
    first = widget.plots["Loss"].vb.viewRange()[0]
    assert all(np.allclose(plot.vb.viewRange()[0], first) for plot in widget.plots.values())


def _epochs(widget: CurvesWidget, values: list[float]) -> None:
    """A run: ten batches, then the epoch's metrics, for each value of val_accuracy."""
    for epoch, value in enumerate(values, start=1):
        for step in range(10 * epoch - 9, 10 * epoch + 1):
            widget.add_batch(step, _batch(step))
        widget.add_epoch(epoch, {"val_accuracy": value, "train_accuracy": 0.5,
                                 "val_score_lgg": 0.3, "val_score_hgg": value / 2})


def test_epoch_series_are_drawn_raw_and_batch_series_smoothed(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    _epochs(widget, [0.4, 0.8, 0.6, 0.6, 0.6])
    widget.redraw()
    faint, bold = widget.items["val_accuracy"]
    np.testing.assert_allclose(bold.yData, [0.4, 0.8, 0.6, 0.6, 0.6])  # markers = measurements
    assert faint.yData is None or len(faint.yData) == 0  # no second, faint copy
    raw = widget.store.series["total"].values
    assert not np.allclose(widget.items["total"][1].yData, raw)  # the bold batch curve is smoothed
    np.testing.assert_allclose(widget.items["total"][0].yData, raw)


def test_hover_reports_measured_values_and_labels_the_smoothed_one(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    _epochs(widget, [0.4, 0.8])
    text = widget.values_at("Accuracy", 20)
    assert "val_accuracy 0.8 @ step 20" in text and "smoothed" not in text
    loss = widget.values_at("Loss", 20)
    total = widget.store.series["total"].values[-1]
    assert f"total {total:.4g} (smoothed " in loss
    widget.hover.setText(loss)
    QtWidgets.QApplication.sendEvent(widget.graphics, QtCore.QEvent(QtCore.QEvent.Type.Leave))
    assert widget.hover.text() == "", "the read-out outlived the mouse"
    widget.hover.setText(loss)
    widget.clear()
    assert widget.hover.text() == "", "the read-out described the previous run"


def test_axes_are_labelled_linked_and_bounded(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    widget.show()
    qtbot.waitExposed(widget)
    _epochs(widget, [0.60, 0.61, 0.62, 0.615])  # noise around 0.6 must not fill the plot
    widget.redraw()
    qtbot.wait(50)
    left = {title: plot.getAxis("left").labelText for title, plot in widget.plots.items()}
    assert left == {"Loss": "loss", "Accuracy": "accuracy", "Validation TumorLRPScore": "TumorLRPScore"}
    # A labelled axis must not rescale its numbers ("loss (x0.001)", "7·10²" on the log axis).
    widget.plots["Loss"].setYRange(math.log10(0.6), math.log10(0.8), padding=0)
    qtbot.wait(20)
    assert all(p.getAxis(side).autoSIPrefixScale == 1.0
               for p in widget.plots.values() for side in ("left", "bottom"))
    widget.x_axis.setCurrentText("epoch")
    assert {p.getAxis("bottom").labelText for p in widget.plots.values()} == {"epoch"}
    qtbot.wait(50)
    ranges = [plot.vb.viewRange()[0] for plot in widget.plots.values()]
    assert all(np.allclose(r, ranges[0]) for r in ranges), ranges  # one x range for all
    assert ranges[0][1] >= 4.0  # the loss curve's whole range, not the epoch points' only
    for title in BOUNDED:
        low, high = widget.plots[title].vb.viewRange()[1]
        assert low == pytest.approx(-BOUNDED_MARGIN) and high == pytest.approx(1 + BOUNDED_MARGIN)


def test_legends_sit_outside_the_data(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    widget.show()
    qtbot.waitExposed(widget)
    for title, plot in widget.plots.items():
        legend = widget.legends[title]
        assert legend.isVisible()
        assert not legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect()), title


def test_log_axis_labels_do_not_overlap(qtbot) -> None:
    view = pg.GraphicsView()
    qtbot.addWidget(view)
    axis = ThinLogAxis("left")
    view.scene().addItem(axis)
    axis.setLogMode(False, True)
    axis.resize(60, 150)  # 1.4 decades in 150 px: the minor ticks crowd
    axis.setRange(math.log10(0.045), math.log10(1.1))
    values = [math.log10(m * 10.0 ** e) for e in (-2, -1, 0) for m in range(1, 10)
              if 0.045 < m * 10.0 ** e < 1.1]
    strings = axis.tickStrings(values, 1.0, None)
    kept = [v for v, s in zip(values, strings) if s]
    assert {"0.1", "1"} <= set(strings)
    pixels = np.sort(np.array(kept)) * 150 / (math.log10(1.1) - math.log10(0.045))
    gap = QtGui.QFontMetricsF(axis.font()).height()
    assert np.all(np.diff(pixels) >= gap - 1e-6), "tick labels overlap"
    assert axis.tickStrings([-1.0, 0.0], 1.0, 1.0) == ["0.1", "1"]  # whole decades: untouched


def test_plot_titles_use_the_palette_text_colour(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    text = widget.palette().color(QtGui.QPalette.ColorRole.WindowText)
    for plot in widget.plots.values():
        html = plot.titleLabel.item.toHtml().lower()
        assert f"color:{text.name()}" in html.replace(" ", ""), html
    for legend in widget.legends.values():  # the legend's names too
        for _sample, label in legend.items:
            assert f"color:{text.name()}" in label.item.toHtml().lower().replace(" ", "")


def test_the_runs_overlay_title_uses_the_palette_text_colour(qtbot) -> None:
    from lrpstudio.gui.runs.view import RunsView

    view = RunsView()
    qtbot.addWidget(view)
    view.draw_overlay()
    text = view.palette().color(QtGui.QPalette.ColorRole.WindowText).name()
    html = view.overlay.getPlotItem().titleLabel.item.toHtml().lower()
    assert f"color:{text}" in html.replace(" ", ""), html


def test_val_lgg_and_val_hgg_have_different_glyphs(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    lgg, hgg = widget.items["val_score_lgg"][1], widget.items["val_score_hgg"][1]
    assert lgg.opts["symbol"] != hgg.opts["symbol"]
    assert lgg.opts["pen"].style() != hgg.opts["pen"].style()
