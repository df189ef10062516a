"""A run keeps its curve colour whatever else is selected, and the Run column shows what
tells runs apart (not the shared date prefix of their folder names)."""

from __future__ import annotations

from pathlib import Path

from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.gui.runs.view import RunsView
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset

NAMES = ("20261202-131500-paper-none", "20261202-141700-paper-none")


def _colours(view: RunsView) -> dict[str, str]:
    """Each drawn curve's colour, by its legend name."""
    return {item.opts["name"]: item.opts["pen"].color().name()
            for item in view.overlay.getPlotItem().listDataItems()}


def test_colours_are_fixed_per_run_and_names_are_told_apart(qtbot, tmp_path: Path) -> None:
    data = load_dataset(save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32),
                                     tmp_path / "dataset"))
    runs = [make_tiny_run(tmp_path / "runs" / name, data) for name in NAMES]
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1300, 700)
    view.set_runs_dir(tmp_path / "runs")
    view.set_grouped(False)
    view.select_runs(runs)
    both = _colours(view)
    assert len(both) == 2 and len(set(both.values())) == 2
    for run in runs:  # each run alone keeps the colour it had beside the other
        view.select_runs([run])
        alone = _colours(view)
        assert len(alone) == 1 and alone.items() <= both.items(), (alone, both)
    table = view.table
    texts = [table.item(i, 0).text() for i in range(table.rowCount())]
    assert len(set(texts)) == 2 and all("13:15" in t or "14:17" in t for t in texts), texts
    metrics = table.fontMetrics()
    for i, text in enumerate(texts):
        assert metrics.horizontalAdvance(text) + 8 <= table.columnWidth(0), (text, table.columnWidth(0))
        assert table.item(i, 0).toolTip() in {str(r) for r in runs}


def test_the_runs_table_shows_six_rows_in_a_1366x768_window(make_window, qtbot) -> None:
    window = make_window()
    window.resize(1366, 768 - 70)
    window.tabs.setCurrentWidget(window.tabs.runs)
    qtbot.wait(50)
    table = window.tabs.runs.table
    visible = table.viewport().height() / table.verticalHeader().defaultSectionSize()
    assert visible >= 6, (table.viewport().height(), table.verticalHeader().defaultSectionSize())
