"""Live curves: storage that grows without copying lists, redraws of only what changed,
and long runs thinned out for display."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.gui.curves import PLOTS, CurveStore, CurvesWidget, Series


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
                         "val_score_lgg": 0.2, "val_score_hgg": 0.4})
    drawn: list[set[str]] = []
    for _ in range(4):
        before = {name: widget.point_count(name) for name in widget.items}
        widget._redraw_if_dirty()
        drawn.append({name for name in widget.items if widget.point_count(name) != before[name]})
    assert drawn[0] and drawn[1] and drawn[2] and not drawn[3]  # the fourth tick: nothing is due
    plots = [{name for name, _c in series} for series in PLOTS.values()]
    assert all(any(d <= p for p in plots) for d in drawn[:3]), "a tick drew more than one plot"
    assert set().union(*drawn) == {n for p in plots for n in p}
