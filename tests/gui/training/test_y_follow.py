"""The live loss plot's y range steps to round bounds instead of following every new low."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrpstudio.gui.training.curves import CurvesWidget
from tests.gui.training.curve_feed import batch_parts, due_tick
from lrpstudio.gui.training.y_follow import stepped_bounds


@pytest.mark.parametrize(("low", "high", "log", "expected"), [
    (-1.2, 0.3, True, (-1.5, 0.5)), (0.0, 0.0, True, (0.0, 0.5)), (-2.0, -1.0, True, (-2.0, -1.0)),
    (0.2, 3.7, False, (0.0, 5.0)), (-0.3, 0.8, False, (-0.5, 1.0)),
])
def test_stepped_bounds(low: float, high: float, log: bool, expected: tuple[float, float]) -> None:
    assert stepped_bounds(low, high, log) == pytest.approx(expected)


@pytest.mark.parametrize("log", [True, False])
def test_every_point_stays_in_view_and_the_range_moves_a_few_times(qtbot, log: bool) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget._timer.stop()
    widget.log_loss.setChecked(log)
    view = widget.plots["Loss"].getViewBox()
    ranges = []
    for step in range(1, 301):
        widget.add_batch(step, batch_parts(step, scale=2.0))
        due_tick(widget)
        bottom, top = view.viewRange()[1]
        drawn = np.concatenate([item.yData for name in ("ce", "guidance", "total")
                                for item in widget.items[name] if item.yData is not None])
        shown = np.log10(drawn) if log else drawn
        assert bottom <= shown.min() + 1e-9 and top >= shown.max() - 1e-9, (step, bottom, top)
        if not ranges or ranges[-1] != (bottom, top):
            ranges.append((bottom, top))
    # The loss reaches a new low at every step; auto-ranging moved the axis every time.
    assert len(ranges) <= 6, ranges


def test_a_vertical_zoom_by_hand_is_kept_and_a_full_redraw_fits(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget._timer.stop()
    view = widget.plots["Loss"].getViewBox()
    for step in range(1, 21):
        widget.add_batch(step, batch_parts(step, scale=2.0))
        due_tick(widget)
    view.setYRange(-0.2, 0.1, padding=0)
    view.sigRangeChangedManually.emit([False, True])  # as a vertical drag or wheel zoom does
    for step in range(21, 61):
        widget.add_batch(step, batch_parts(step, scale=2.0))
        due_tick(widget)
    assert tuple(view.viewRange()[1]) == pytest.approx((-0.2, 0.1))  # the user's zoom stays
    view.enableAutoRange(y=True)  # the "A" button: follow the data again, in steps
    widget.add_batch(61, batch_parts(61, scale=2.0))
    due_tick(widget)
    assert not view.autoRangeEnabled()[1] and view.viewRange()[1][0] <= math.log10(2.0 / 61)
    widget.redraw()  # a full redraw (the run ended): fit the data exactly
    assert view.autoRangeEnabled()[1]
