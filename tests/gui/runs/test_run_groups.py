"""Runs of one configuration over seeds: one table row with mean ± sd, one mean curve with a
± sd band; a collapsed best epoch is named in the Runs table; the Training tab's banner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest

from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_record import RunRecord
from lrpstudio.app.run_groups import group_key, mean_curve, mean_sd
from lrpstudio.app.run_summaries import COLUMNS, collapse_mark, summarize_run
from lrpstudio.gui.runs.view import RunsView
from lrpstudio.gui.training.warning_banner import WarningBanner

KEYS = [k for k, _ in COLUMNS]


def fake_run(root: Path, name: str, seed: int, balanced: list[float], penalty: float = 1.0,
             data: str = "d1", predicted_hgg: list[float] | None = None, legacy: bool = False) -> Path:
    """A run folder with config.json and metrics.csv only (what the table and curves read)."""
    folder = RunFolder(root / name)
    folder.create()
    train = {"model": "paper", "guidance": {"kind": "lrp", "penalty": penalty}, "seed": seed,
             "epochs": len(balanced), "best_metric": "balanced_accuracy", "image_size": 32}
    record = {"train": train, "dataset": {"data_hash": data}, "created": "2026-01-01T10:00:00"}
    folder.config_path.write_text(json.dumps(record))
    shares = predicted_hgg or [0.5] * len(balanced)
    rows = []
    for epoch, (value, share) in enumerate(zip(balanced, shares), start=1):
        row = {"epoch": epoch, "val_balanced_accuracy": value, "val_accuracy": value + 0.05,
               "val_total": 1.0 - value, "val_score_hgg": 0.1 * epoch}
        if not legacy:
            row["val_predicted_hgg"] = share
        rows.append(row)
    folder.write_metrics(rows)
    return folder.root


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """Two seeds of p = 1, one run of p = 2, and p = 1 seed 2 on other data."""
    fake_run(tmp_path, "a-p1-s0", 0, [0.5, 0.6, 0.7])
    fake_run(tmp_path, "b-p1-s1", 1, [0.6, 0.8, 0.9])
    fake_run(tmp_path, "c-p2-s0", 0, [0.5, 0.55, 0.6], penalty=2.0)
    fake_run(tmp_path, "d-p1-other-data", 2, [0.5, 0.5, 0.5], data="d2")
    return tmp_path


def _view(qtbot, runs: Path) -> RunsView:
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    view.set_runs_dir(runs)
    return view


def _cells(view: RunsView, key: str) -> dict[str, str]:
    """Run-column text -> the text of ``key``'s cell, for every row."""
    j = KEYS.index(key)
    return {view.table.item(i, 0).text(): view.table.item(i, j).text() for i in range(view.table.rowCount())}


def test_only_the_seed_may_differ_within_a_group(seeds: Path) -> None:
    keys = [group_key(RunFolder(seeds / n).read_config())
            for n in ("a-p1-s0", "b-p1-s1", "c-p2-s0", "d-p1-other-data")]
    assert keys[0] == keys[1] and len(set(keys)) == 3
    assert group_key(RunRecord(train=TrainConfig())) is None  # no data hash: it groups with nothing


def test_two_seeds_are_one_row_with_mean_and_sd(qtbot, seeds: Path) -> None:
    view = _view(qtbot, seeds)
    assert view.table.rowCount() == 3  # the pair, p = 2, and the run on other data
    balanced = _cells(view, "balanced_accuracy")
    group = [text for text in balanced if text.endswith("×2")]
    assert group == ["paper LRP p1 ×2"]
    # best epochs 3 and 3: 0.7 and 0.9 -> mean 0.800, sample sd 0.141
    assert balanced[group[0]] == "0.80\u2009±\u20090.14"
    assert _cells(view, "accuracy")[group[0]] == "0.85\u2009±\u20090.14"
    j, i = KEYS.index("balanced_accuracy"), list(balanced).index(group[0])
    assert view.table.item(i, j).toolTip() == "mean 0.800, sd 0.141 over 2 seeds (sample sd)"
    assert _cells(view, "best_epoch")[group[0]] == "3" and _cells(view, "epochs")[group[0]] == "3/3"
    assert balanced["c-p2-s0"] == "0.600"  # a single run keeps its plain number
    view.select_runs([seeds / "a-p1-s0"])
    assert {p.name for p in view.selected_runs()} == {"a-p1-s0", "b-p1-s1"}
    view.group_seeds.setChecked(False)
    assert view.table.rowCount() == 4 and not any("×" in t for t in _cells(view, "run"))
    assert "4 run(s) in" in view.status.text()


def test_mean_sd_is_the_sample_sd_over_finite_values() -> None:
    assert mean_sd([0.7, 0.9]) == pytest.approx((0.8, math.sqrt(0.02)))
    mean, sd = mean_sd([0.5, math.nan])
    assert mean == 0.5 and math.isnan(sd)


def test_a_group_is_drawn_as_a_mean_curve_over_a_band(qtbot, seeds: Path) -> None:
    view = _view(qtbot, seeds)
    view.metric_box.setCurrentText("val_balanced_accuracy")
    view.select_runs([seeds / "a-p1-s0", seeds / "c-p2-s0"])
    plot = view.overlay.getPlotItem()
    bands = [item for item in plot.items if isinstance(item, pg.FillBetweenItem)]
    assert len(bands) == 1, "one band for the group, none for the single run"
    labels = sorted(label.text for _sample, label in plot.legend.items)
    assert labels == ["c-p2-s0", "paper LRP p1 ×2"]  # N seeds are one legend entry
    mean_line = next(i for i in plot.listDataItems() if i.name() == "paper LRP p1 ×2")
    np.testing.assert_allclose(mean_line.yData, [0.55, 0.7, 0.8])
    edges = [bands[0].curves[0].yData, bands[0].curves[1].yData]
    sd = np.array([0.5, 0.6, 0.7]) - np.array([0.6, 0.8, 0.9])
    spread = np.abs(sd) / math.sqrt(2)
    np.testing.assert_allclose(sorted(edges, key=lambda e: e[0]), [[0.55, 0.7, 0.8] - spread,
                                                                   [0.55, 0.7, 0.8] + spread])
    view.group_seeds.setChecked(False)
    view.select_runs([seeds / "a-p1-s0", seeds / "b-p1-s1"])
    assert not [i for i in plot.items if isinstance(i, pg.FillBetweenItem)]
    assert len(plot.listDataItems()) == 2  # ungrouped: one line per run


def test_a_curve_of_runs_stopped_at_different_epochs(tmp_path: Path) -> None:
    a = fake_run(tmp_path, "a", 0, [0.5, 0.6, 0.7])
    b = fake_run(tmp_path, "b", 1, [0.7, 0.8])  # stopped early
    epochs, mean, sd = mean_curve([a, b], "val_balanced_accuracy")
    np.testing.assert_allclose(epochs, [1, 2, 3])
    np.testing.assert_allclose(mean, [0.6, 0.7, 0.7])
    assert np.isnan(sd[2]) and sd[0] == pytest.approx(math.sqrt(0.02))


def test_a_collapsed_best_epoch_is_named_in_the_runs_table(qtbot, tmp_path: Path) -> None:
    fake_run(tmp_path, "lgg-only", 0, [0.5, 0.5], predicted_hgg=[0.0, 0.0])
    # Both epochs collapsed: the better one is kept.
    fake_run(tmp_path, "mostly-hgg", 1, [0.5, 0.52], predicted_hgg=[0.99, 0.97], penalty=2.0)
    fake_run(tmp_path, "fine", 2, [0.6, 0.8], predicted_hgg=[0.3, 0.45], penalty=3.0)
    fake_run(tmp_path, "old", 3, [0.6, 0.7], legacy=True, penalty=0.5)
    row = summarize_run(tmp_path / "lgg-only")
    assert row["collapse"] == "predicts LGG for every validation slice" == collapse_message(0.0)
    assert collapse_mark(row) == "all LGG"
    view = _view(qtbot, tmp_path)
    marks = _cells(view, "collapse")
    assert marks == {"lgg-only": "⚠ all LGG", "mostly-hgg": "⚠ 97% HGG", "fine": "", "old": ""}
    j, i = KEYS.index("collapse"), [view.table.item(r, 0).text() for r in range(4)].index("mostly-hgg")
    assert view.table.item(i, j).toolTip() == "The model predicts HGG for 97% of validation slices"


def test_a_group_says_how_many_seeds_collapsed(qtbot, tmp_path: Path) -> None:
    fake_run(tmp_path, "s0", 0, [0.5, 0.5], predicted_hgg=[1.0, 1.0])
    fake_run(tmp_path, "s1", 1, [0.6, 0.8], predicted_hgg=[0.4, 0.5])
    view = _view(qtbot, tmp_path)
    j = KEYS.index("collapse")
    assert view.table.item(0, j).text() == "⚠ 1 of 2 seeds"
    assert view.table.item(0, j).toolTip() == "seed 0: the model predicts HGG for every validation slice"


def test_the_banner_warns_while_the_latest_epoch_is_collapsed(qtbot) -> None:
    banner = WarningBanner()
    qtbot.addWidget(banner)
    assert banner.isHidden()
    banner.show_epoch(2, {"val_predicted_hgg": 0.0, "val_accuracy": 0.8})
    assert not banner.isHidden()
    assert "Epoch 2: the model predicts LGG for every validation slice" in banner.text()
    banner.set_data_warnings(["train split is imbalanced: 79% of its 100 slices are LGG (79 LGG, 21 HGG)"])
    assert banner.text().splitlines()[1].startswith("Data: train split is imbalanced")
    banner.show_epoch(3, {"val_predicted_hgg": 0.4})  # recovered: the collapse line goes
    assert "predicts" not in banner.text() and not banner.isHidden()
    banner.show_epoch(4, {"val_accuracy": 0.5})  # an old run's row: nothing to say
    banner.clear_all()
    assert banner.isHidden() and banner.text() == ""
