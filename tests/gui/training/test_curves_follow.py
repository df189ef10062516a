"""The live curves' x range grows in steps ahead of the data (few repaints of the linked plots)."""

from __future__ import annotations

import pytest

from lrpstudio.gui.training.curves import CurvesWidget
from tests.gui.training.curve_feed import batch_parts, due_tick
from lrpstudio.gui.training.x_follow import nice_ceiling


@pytest.mark.parametrize(("value", "expected"), [(0.0, 1.0), (0.03, 0.05), (1.0, 1.0), (1.2, 2.0),
                                                 (3.0, 5.0), (7.5, 10.0), (120.0, 200.0)])
def test_nice_ceiling(value: float, expected: float) -> None:
    assert nice_ceiling(value) == pytest.approx(expected)


def test_live_x_range_moves_in_steps_and_always_shows_the_newest_point(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    view = widget.plots["Loss"].getViewBox()
    linked = widget.plots["Accuracy"].getViewBox()
    ranges: list[tuple[float, float]] = []
    behind = 0  # ticks the linked plots have lagged behind the loss plot's range
    for step in range(1, 151):
        widget.add_batch(step, batch_parts(step))
        due_tick(widget)
        lo, hi = view.viewRange()[0]
        assert lo <= 1 and hi >= step  # the newest point is in view
        # After a step the other plots take the range at the next ticks, one each.
        behind = 0 if tuple(linked.viewRange()[0]) == pytest.approx((lo, hi)) else behind + 1
        assert behind <= 2
        if not ranges or ranges[-1] != (lo, hi):
            ranges.append((lo, hi))
    # Auto-ranging moved the axis at every redraw (150 ranges): now a handful of steps.
    assert len(ranges) <= 10, ranges


def test_a_zoom_by_hand_is_kept_and_a_full_redraw_fits_the_data(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    view = widget.plots["Loss"].getViewBox()
    for step in range(1, 21):
        widget.add_batch(step, batch_parts(step))
        due_tick(widget)
    view.setXRange(5, 10, padding=0)
    view.sigRangeChangedManually.emit([True, False])  # as a drag or wheel zoom does
    for step in range(21, 41):
        widget.add_batch(step, batch_parts(step))
        due_tick(widget)
    assert tuple(view.viewRange()[0]) == pytest.approx((5, 10))  # the user's zoom stays
    view.enableAutoRange(x=True)  # the "A" button: follow the data again
    for step in range(41, 61):
        widget.add_batch(step, batch_parts(step))
        due_tick(widget)
    assert view.viewRange()[0][1] >= 60 and not view.autoRangeEnabled()[0]  # followed, in steps
    widget.redraw()  # the run ended: fit the data exactly
    assert view.autoRangeEnabled()[0]


def test_the_end_of_a_run_fits_the_data_even_with_points_left_to_draw(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget._timer.stop()
    widget.show()
    qtbot.waitExposed(widget)  # pyqtgraph applies an auto-range when it paints
    view = widget.plots["Loss"].getViewBox()
    for step in range(1, 26):
        widget.add_batch(step, batch_parts(step))
        due_tick(widget)
    widget.add_batch(26, batch_parts(26))  # the last batch arrives with the end of the run
    widget.finish()
    for _ in range(6):
        due_tick(widget)
    qtbot.wait(50)
    assert view.autoRangeEnabled()[0] and view.autoRangeEnabled()[1]  # fitted, not stepping again
    assert widget.point_count("ce") == 26
    assert view.viewRange()[0][1] < 30  # the data's end, not the stepped range's (50)
