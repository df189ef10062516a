"""The Runs tab's confusion matrix and ROC of the selected run: measured in a worker with
progress, recorded in the run folder, shown again from the record (a real tiny run)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.core.train.evaluate import evaluation_file
from lrpstudio.gui.runs.view import RunsView
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def data_and_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diag_gui")
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32), root / "dataset")
    return data, make_tiny_run(root / "runs" / "run", load_dataset(data))


def _view(qtbot, data: Path, run: Path) -> RunsView:
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    view.set_runs_dir(run.parent, lambda _size: load_dataset(data), data)
    view.plots.setCurrentWidget(view.diagnostics)
    view.select_runs([run])
    return view


def _cells(view: RunsView) -> np.ndarray:
    table = view.diagnostics.matrix
    return np.array([[int(table.item(i, j).text() or 0) for j in range(2)] for i in range(2)])


def test_measure_shows_and_records_the_confusion_matrix_and_roc(qtbot, data_and_run) -> None:
    data, run = data_and_run
    evaluation_file(run, "val").unlink(missing_ok=True)
    view = _view(qtbot, data, run)
    panel = view.diagnostics
    assert panel.run == run and "press Measure" in panel.note.text()
    progress: list[int] = []
    assert panel.measure()
    assert panel.worker is not None
    panel.worker.progress.connect(lambda done, _total, _m: progress.append(done))
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    val = load_dataset(data).subset("val")
    cells = _cells(view)
    assert cells.sum() == len(val) and list(cells.sum(axis=1)) == [int((val.labels == 0).sum()),
                                                                    int((val.labels == 1).sum())]
    assert "AUC" in panel.roc.getPlotItem().titleLabel.text
    assert len(panel.roc.getPlotItem().listDataItems()) == 2  # the chance diagonal and the ROC
    assert evaluation_file(run, "val").is_file()
    again = _view(qtbot, data, run)  # a new tab (a relaunch) shows the record without measuring
    assert again.diagnostics.worker is None and (_cells(again) == cells).all()
    view.select_runs([])
    assert panel.run is None and _cells(view).sum() == 0


def test_measure_without_data_says_so(qtbot, data_and_run) -> None:
    _data, run = data_and_run
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(run.parent)
    view.select_runs([run])
    assert not view.diagnostics.measure() and "Open the data" in view.diagnostics.note.text()


def test_cancel_stops_a_measurement_and_records_nothing(qtbot, data_and_run) -> None:
    data, run = data_and_run
    evaluation_file(run, "test").unlink(missing_ok=True)
    started, release = threading.Event(), threading.Event()

    def slow_loader(_size: int):  # noqa: ANN202 - holds the worker until the test has cancelled
        started.set()
        release.wait(30)
        return load_dataset(data)

    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(run.parent, slow_loader, data)
    view.select_runs([run])
    panel = view.diagnostics
    panel.split.setCurrentText("test")
    assert panel.measure() and panel.measure_button.text() == "Cancel"
    assert started.wait(30)
    panel.measure_button.click()  # the same button, now Cancel
    assert "Cancelling" in panel.note.text() and not panel.measure_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    assert "cancelled" in panel.note.text() and panel.measure_button.text() == "Measure"
    assert panel.measure_button.isEnabled() and not evaluation_file(run, "test").exists()
    assert _cells(view).sum() == 0

