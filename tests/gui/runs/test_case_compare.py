"""The Runs tab's per-case comparison: the selected run against a baseline run, scored in a
worker, one row per case with before -> after (two real tiny runs on a prepared dataset)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.gui.common.case_table import CaseTable
from lrpstudio.gui.runs.view import RunsView
from tests.core.train.factory import tiny_dataset

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def data_and_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("cases_gui")
    data = save_dataset(tiny_dataset(n_cases=6, slices_per_case=2, size=32), root / "dataset")
    dataset = load_dataset(data)
    runs = []
    for name, seed in (("before", 1), ("after", 2)):
        run = root / "runs" / name
        fit(TrainConfig(epochs=1, batch_size=8, pinned=1, seed=seed, eval_batch_size=16), dataset, run_dir=run)
        runs.append(run)
    return data, runs[0], runs[1]


def test_the_selected_run_against_its_baseline_case_by_case(qtbot, data_and_runs) -> None:
    data, before, after = data_and_runs
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    view.set_runs_dir(after.parent, lambda _size: load_dataset(data), data)
    panel = view.cases
    view.group_seeds.setChecked(False)  # the two runs differ only in their seed
    assert {panel.baseline.itemText(i) for i in range(panel.baseline.count())} == {"before", "after"}
    view.select_runs([after])
    panel.baseline.setCurrentIndex(panel.baseline.findData(str(after)))
    assert not panel.score() and "other than the selected run" in panel.note.text()
    panel.baseline.setCurrentIndex(panel.baseline.findData(str(before)))
    assert panel.score()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    cases = int(np.unique(load_dataset(data).case_ids).size)
    assert panel.table.rowCount() == cases, panel.note.text()
    outside = CaseTable.HEADERS.index("Outside")
    assert all("→" in panel.table.item(r, outside).text() for r in range(cases))
    assert not panel.table.isColumnHidden(CaseTable.HEADERS.index("Outside change"))
    assert "before → after" in panel.note.text()


def test_it_asks_for_one_selected_run(qtbot, data_and_runs, tmp_path: Path) -> None:
    data, before, _after = data_and_runs
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(before.parent, lambda _size: load_dataset(data), data)
    view.select_runs([])
    assert not view.cases.score() and "Select one run" in view.cases.note.text()
    shutil.rmtree(tmp_path, ignore_errors=True)
