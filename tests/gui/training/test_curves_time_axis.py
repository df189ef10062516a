"""The live curves' and the Runs overlay's wall-clock x axis (elapsed seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.curves import CurveStore, epoch_times
from lrpstudio.gui.runs.view import RunsView
from lrpstudio.gui.training.curves import CurvesWidget
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("time_axis") / "runs" / "run",
                         tiny_dataset(n_cases=6, slices_per_case=2, size=32))


def test_time_axis_draws_elapsed_seconds(qtbot) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    for step, when in ((1, 100.0), (2, 103.0), (3, 110.0)):
        widget.store.add_batch(step, {"ce": 1.0 / step, "epoch": 1, "batch": step, "batches": 3}, when=when)
    widget.store.add_epoch(1, {"val_accuracy": 0.75}, when=111.0)
    widget.x_axis.setCurrentText("time")
    assert list(widget.xy("ce", False)[0]) == [0.0, 3.0, 10.0]
    assert list(widget.xy("val_accuracy", False)[0]) == [11.0]
    assert widget.plots["Loss"].getAxis("bottom").labelText == "elapsed time (s)"
    assert "@ time 3" in widget.values_at("Loss", 3.2)
    widget.x_axis.setCurrentText("epoch")
    assert np.allclose(widget.xy("ce", False)[0], [1 / 3, 2 / 3, 1.0])


def test_a_finished_run_on_the_time_axis(qtbot, tiny_run: Path) -> None:
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget.set_store(CurveStore.from_run(tiny_run))
    widget.x_axis.setCurrentText("time")
    widget.redraw()
    x = widget.items["val_accuracy"][1].xData
    assert x is not None and np.allclose(x, [epoch_times(tiny_run)[1]])


def test_runs_overlay_switches_to_time(qtbot, tiny_run: Path) -> None:
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(tiny_run.parent)
    view.select_runs([tiny_run])
    view.metric_box.setCurrentText("val_accuracy")
    view.x_box.setCurrentText("time")
    items = view.overlay.getPlotItem().listDataItems()
    assert len(items) == 1 and np.allclose(items[0].xData, [epoch_times(tiny_run)[1]])
    assert view.overlay.getPlotItem().getAxis("bottom").labelText == "elapsed time (s)"
    view.x_box.setCurrentText("epoch")
    assert list(view.overlay.getPlotItem().listDataItems()[0].xData) == [1]
