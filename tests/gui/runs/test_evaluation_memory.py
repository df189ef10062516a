"""'Evaluate on test' results survive a relaunch: a new Runs tab shows them for the data
they were measured on (and not for other data)."""

from __future__ import annotations

from pathlib import Path

from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.core.train.evaluate import evaluation_file
from lrpstudio.gui.runs.view import RunsView
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


def test_evaluated_rows_come_back_in_a_new_runs_tab(qtbot, tmp_path: Path) -> None:
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32), tmp_path / "dataset")
    make_tiny_run(tmp_path / "runs" / "run", load_dataset(data))
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(tmp_path / "runs", lambda _size: load_dataset(data), data)
    assert [r["split"] for r in view.rows] == ["val"]
    view.select_runs([tmp_path / "runs" / "run"])
    view.evaluate()
    qtbot.waitUntil(lambda: view.worker is None, timeout=120_000)
    assert [r["split"] for r in view.rows] == ["test"]
    assert evaluation_file(tmp_path / "runs" / "run", "test").is_file()
    again = RunsView()  # the next launch
    qtbot.addWidget(again)
    again.set_runs_dir(tmp_path / "runs", lambda _size: load_dataset(data), data)
    assert [r["split"] for r in again.rows] == ["test"]
    assert again.rows[0]["accuracy"] == view.rows[0]["accuracy"]
    other = RunsView()
    qtbot.addWidget(other)
    other.set_runs_dir(tmp_path / "runs", lambda _size: load_dataset(data), tmp_path / "elsewhere")
    assert [r["split"] for r in other.rows] == ["val"]
