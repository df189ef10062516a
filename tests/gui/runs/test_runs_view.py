"""The Runs tab: table of real runs, sorting, overlay, Fig. 5 grid, exports; runs started
from the Training tab appear in it."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PySide6 import QtWidgets

from lrpstudio.core.data.slice_dataset import GRADES, load_dataset, save_dataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.render.colours import display_channel
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.app.run_info import RunDataSettings
from lrpstudio.app.slices import ViewerSlice, prepare_viewer_slice
from lrpstudio.app.run_info import pinned_slices
from lrpstudio.app.run_summaries import COLUMNS, find_runs, summarize_run, to_markdown
from lrpstudio.gui.runs.view import RunsView
from lrpstudio.gui.shell.tabs import StudioTabs
from tests.core.train.factory import tiny_dataset

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A dataset folder and a runs folder with two real 2-epoch runs (p=0 and p=1)."""
    root = tmp_path_factory.mktemp("gui_runs")
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=32, seed=4), root / "dataset")
    dataset = load_dataset(data)
    for penalty in (0.0, 1.0):
        kind = "none" if penalty == 0 else "lrp"
        config = TrainConfig(epochs=2, batch_size=6, seed=1, pinned=2,
                             guidance=GuidanceConfig(kind=kind, penalty=penalty))
        fit(config, dataset, run_dir=root / "runs" / f"p{penalty:g}")
    return data, root / "runs"


def test_summary_matches_metrics(trained: tuple[Path, Path]) -> None:
    _, runs = trained
    assert [p.name for p in find_runs(runs)] == ["p0", "p1"]
    row = summarize_run(runs / "p1")
    metrics = RunFolder(runs / "p1").read_metrics()
    best = [m for m in metrics if int(m["epoch"]) == row["best_epoch"]][0]
    assert row["accuracy"] == best["val_accuracy"]
    assert row["score_hgg"] == best["val_score_hgg"]
    assert row["status"] == "finished" and row["guidance"] == "lrp" and row["penalty"] == 1.0
    assert row["epochs"] == "2/2"
    assert "| p1 |" in to_markdown([row])


def test_table_compare_and_export(qtbot, trained: tuple[Path, Path], tmp_path: Path) -> None:
    data, runs = trained
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    view.set_runs_dir(runs, lambda size: load_dataset(data))
    assert view.table.rowCount() == 2
    # Sorting by a numeric column orders by number, NaN last.
    col = [k for k, _ in COLUMNS].index("accuracy")
    view.table.sortItems(col)
    values = [view.table.item(i, col).value for i in range(2)]
    finite = [v for v in values if math.isfinite(v)]
    assert finite == sorted(finite)
    view.select_runs([runs / "p0", runs / "p1"])
    assert {p.name for p in view.selected_runs()} == {"p0", "p1"}
    assert len(view.overlay.getPlotItem().listDataItems()) == 2
    view.slices.setValue(2)
    view.compare()
    qtbot.waitUntil(lambda: view.fig5.arrays is not None and view.worker is None, timeout=TIMEOUT_MS)
    arrays = view.fig5.arrays
    assert sorted(arrays["names"]) == ["p0", "p1"] and len(arrays["titles"]) == 2
    assert len(view.fig5.tiles) == 2 * (2 + 2)
    assert all("S=" in t.caption.text() for t in view.fig5.tiles[2:4])
    assert view.fig5.note.isHidden()
    view.select_runs([runs / "p0"])  # another selection: the grid says it is of the runs before
    assert not view.fig5.note.isHidden() and "compared before" in view.fig5.note.text()
    view.select_runs([runs / "p0", runs / "p1"])
    assert view.fig5.note.isHidden()
    view.evaluate()
    qtbot.waitUntil(lambda: view.worker is None and all(r["split"] == "test" for r in view.rows),
                    timeout=TIMEOUT_MS)
    md = view.export_table(tmp_path / "runs.md").read_text()
    assert md.count("\n") == 4 and "| test |" in md
    csv_text = view.export_table(tmp_path / "runs.csv").read_text()
    assert csv_text.splitlines()[0].startswith("run,status,model")
    for png in view.export_figures(tmp_path / "cmp.png"):
        assert png.stat().st_size > 1000


def test_run_started_in_training_tab_appears_in_runs(qtbot, trained: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    data, _ = trained
    tabs = StudioTabs(QtWidgets.QLabel("viewer"), lambda: None)
    qtbot.addWidget(tabs)
    tabs.show()
    tabs.open_dataset(data, tmp_path / "runs")
    panel = tabs.training
    panel.form.epochs.setValue(1)
    panel.form.batch_size.setValue(8)
    panel.form.guidance.setCurrentIndex(panel.form.guidance.findData("none"))
    run_dir = panel.start()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    assert panel.ended == [(str(run_dir), "finished")]
    # The Runs tab is out of view: it is re-listed when it is shown, not while the run ends.
    assert tabs.currentWidget() is not tabs.runs and tabs.runs.rows == []
    tabs.setCurrentWidget(tabs.runs)
    assert [r["path"] for r in tabs.runs.rows] == [str(run_dir)]
    assert tabs.runs.rows[0]["guidance"] == "none"
    tabs.setCurrentWidget(tabs.training)
    tabs.setCurrentWidget(tabs.runs)  # back and forth: the rows stay
    assert [r["path"] for r in tabs.runs.rows] == [str(run_dir)]
    assert panel.thread_violations == 0


def test_compare_includes_the_viewer_slice(qtbot, trained: tuple[Path, Path]) -> None:
    data, runs = trained
    rng = np.random.default_rng(3)
    shape = (40, 36, 6)
    brain = np.zeros(shape, bool)
    brain[4:36, 4:32] = True
    images = {m: (rng.random(shape).astype(np.float32) + 0.5) * brain for m in ("t1", "t1ce", "t2", "flair")}
    seg = np.zeros(shape, np.uint8)
    seg[15:25, 12:22, 2:5] = 2
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(runs, lambda size: load_dataset(data))
    view.current_slice = lambda: ViewerSlice("viewer_case", images, seg, 3, "HGG")
    view.select_runs([runs / "p0", runs / "p1"])
    view.slices.setValue(2)
    view.include_current.setChecked(True)
    view.compare()
    qtbot.waitUntil(lambda: view.fig5.arrays is not None and view.worker is None, timeout=TIMEOUT_MS)
    arrays = view.fig5.arrays
    assert arrays["titles"][-1] == "viewer_case z3 (viewer)" and len(arrays["titles"]) == 3
    assert arrays["images"].shape == (3, 32, 32) and arrays["masks"][-1].any()
    assert int(arrays["labels"][-1]) == GRADES.index("HGG")
    for m in arrays["maps"]:
        assert m["relevance"].shape == (3, 32, 32) and len(m["scores"]) == len(m["predictions"]) == 3
        assert np.isfinite(m["scores"][-1])
    assert len(view.fig5.tiles) == 3 * (2 + 2)
    # The same slice, prepared like the dataset (app.slices.prepare_viewer_slice), is the input row.
    channels = ("t1", "t2", "flair")
    prepared = prepare_viewer_slice(ViewerSlice("viewer_case", images, seg, 3, "HGG"),
                                    RunDataSettings(channels, 32, "whole", None))
    np.testing.assert_allclose(arrays["images"][-1], prepared.image[display_channel(channels)])
    np.testing.assert_array_equal(arrays["masks"][-1], prepared.tumour)
    # Without a viewer case the checkbox asks for one instead of comparing.
    view.fig5.arrays = None
    view.current_slice = lambda: None
    view.compare()
    assert view.worker is None and "Open a case" in view.status.text()


@pytest.fixture(scope="module")
def mixed(trained: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Callable]:
    """The two 32 px runs and a real 24 px run with a timestamped name, and a loader by size."""
    data, runs = trained
    root = tmp_path_factory.mktemp("gui_mixed")
    for run in ("p0", "p1"):
        shutil.copytree(runs / run, root / "runs" / run)
    small = save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=24, seed=4), root / "dataset24")
    config = TrainConfig(epochs=2, batch_size=6, seed=1, pinned=2, guidance=GuidanceConfig(kind="lrp", penalty=1.0))
    fit(config, load_dataset(small), run_dir=root / "runs" / "20261126-151405-paper-lrp-p1")
    return root / "runs", lambda size: load_dataset(small if size == 24 else data)


def mixed_view(qtbot, mixed: tuple[Path, Callable], width: int = 1100) -> RunsView:
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(width, 760)
    view.show()
    view.set_runs_dir(*mixed)
    return view


def test_different_sizes_say_why_and_clear_the_grid(qtbot, mixed: tuple[Path, Callable]) -> None:
    runs = mixed[0]
    view = mixed_view(qtbot, mixed)
    view.select_runs([runs / "p0", runs / "p1"])
    view.slices.setValue(2)
    view.compare()
    qtbot.waitUntil(lambda: view.fig5.arrays is not None and view.worker is None, timeout=TIMEOUT_MS)
    assert len(view.fig5.tiles) == 2 * 4
    view.select_runs(find_runs(runs))
    view.compare()  # used to raise ValueError after redrawing the curves, leaving the old grid
    why = "Fig. 5 needs runs of one image size: 24 px (paper LRP+ p1 15:14); 32 px (p0, p1)"
    assert view.status.text() == why and view.fig5.note.text() == why and view.fig5.note.isVisible()
    assert view.worker is None and view.fig5.arrays is None and view.fig5.tiles == []
    assert len(view.overlay.getPlotItem().listDataItems()) == 3  # the curves are still compared
    # Evaluating needs no common size: each run is evaluated at its own.
    view.evaluate()
    qtbot.waitUntil(lambda: view.worker is None and all(r["split"] == "test" for r in view.rows),
                    timeout=TIMEOUT_MS)
    assert view.status.text() == "Evaluated 3 run(s) on the test split"


def test_tab_fits_a_narrow_window_and_table_fits_its_width(qtbot, mixed: tuple[Path, Callable]) -> None:
    view = mixed_view(qtbot, mixed)
    view.status.setText("3 run(s) in /a/very/long/folder/" + "x" * 300)
    assert view.minimumSizeHint().width() <= 700
    # Every column, "Score HGG" and "Corrected masks" included, without a horizontal scroll bar.
    assert view.table.horizontalScrollBar().maximum() == 0
    run_col = [k for k, _ in COLUMNS].index("run")
    tips = [view.table.item(i, run_col).toolTip() for i in range(view.table.rowCount())]
    assert any(t.endswith("/20261126-151405-paper-lrp-p1") for t in tips)  # full path, however elided


def test_overlay_whole_epochs_short_legend_outside_the_data(qtbot, mixed: tuple[Path, Callable]) -> None:
    view = mixed_view(qtbot, mixed)
    view.select_runs(find_runs(mixed[0]))
    plot = view.overlay.getPlotItem()
    ticks = [v for _spacing, values in plot.getAxis("bottom").tickValues(0.8, 2.2, 300) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)
    assert plot.getAxis("left").labelText == "validation accuracy"
    labels = sorted(label.text for _sample, label in plot.legend.items)
    assert labels == ["p0", "p1", "paper LRP+ p1 15:14"]
    qtbot.waitUntil(lambda: plot.legend.sceneBoundingRect().top() > 0)  # laid out
    assert not plot.legend.sceneBoundingRect().intersects(plot.getViewBox().sceneBoundingRect())


def test_saved_heatmaps_open_from_the_runs_tab(qtbot, mixed: tuple[Path, Callable]) -> None:
    runs = mixed[0]
    view = mixed_view(qtbot, mixed)
    assert view.open_heatmaps(runs / "20261126-151405-paper-lrp-p1")
    qtbot.waitUntil(lambda: view.worker is None and view.heatmaps_dialog is not None, timeout=TIMEOUT_MS)
    fig7 = view.heatmaps_dialog.fig7
    assert sorted(fig7.epochs) == [1, 2] and fig7.current == 2
    pinned = pinned_slices(runs / "20261126-151405-paper-lrp-p1")
    assert fig7.inputs["titles"] == [f"{case} z{z}" for case, z in pinned]
    assert fig7.inputs["images"].shape[1:] == (24, 24) and all("S=" in c for c in fig7.captions())
    # A double-click on a row opens that run's heatmaps too.
    first = view.heatmaps_dialog
    row = [view.table.item(i, 0).text() for i in range(view.table.rowCount())].index("p0")
    view.table.itemDoubleClicked.emit(view.table.item(row, 0))
    qtbot.waitUntil(lambda: view.worker is None and view.heatmaps_dialog is not first, timeout=TIMEOUT_MS)
    assert "(p0)" in view.heatmaps_dialog.windowTitle()


def test_a_broken_run_is_an_unreadable_row_and_is_left_out_of_the_overlay(
        qtbot, trained: tuple[Path, Path], tmp_path: Path) -> None:
    _, runs = trained
    copies = tmp_path / "runs"
    shutil.copytree(runs / "p1", copies / "p1")
    shutil.copytree(runs / "p0", copies / "broken")
    with (copies / "broken" / "metrics.csv").open("a") as handle:
        handle.write("\0\0\0 garbage\n")
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs_dir(copies)
    status = [k for k, _ in COLUMNS].index("status")
    cells = {view.table.item(i, 0).text(): view.table.item(i, status).text() for i in range(2)}
    assert cells["p1"] == "finished"
    assert cells["broken"].startswith("unreadable: metrics.csv: line 4 holds NUL bytes")
    view.select_runs([copies / "p1", copies / "broken"])  # draws the overlay: no exception
    assert len(view.overlay.getPlotItem().listDataItems()) == 1
    assert "broken not drawn" in view.status.text()
