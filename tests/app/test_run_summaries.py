"""Runs table helpers (no Qt): number formatting, short run labels, the one-size check of
Fig. 5, and a run's pinned slices."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.app.run_info import image_size, pinned_slices
from lrpstudio.app.run_summaries import (
    cell, short_label, short_labels, size_problem, to_markdown,
)


def fake_run(root: Path, name: str, size: int | None = 64, kind: str = "lrp", penalty: float = 1.0) -> Path:
    """A run folder with only a config.json (enough for the table's helpers)."""
    folder = RunFolder(root / name)
    folder.create()
    train = {"model": "paper", "guidance": {"kind": kind, "penalty": penalty}}
    if size is not None:
        train["image_size"] = size
    # Written as a colleague's older lrpstudio would have: only these options recorded.
    folder.config_path.write_text(json.dumps({"created": "2026-11-26T09:41:07+00:00", "train": train}))
    return folder.root


def test_metrics_always_have_three_decimals() -> None:
    assert cell(0.0, "accuracy") == "0.000" and cell(1.0, "sensitivity") == "1.000"
    assert cell(0.75, "f1_weighted") == "0.750" and cell(math.nan, "score_lgg") == "n/a"
    assert cell(1.0, "penalty") == "1" and cell(0.5, "penalty") == "0.5"
    row = {"run": "r", "penalty": 2.0, "accuracy": 0.75, "sensitivity": 0.0, "specificity": 1.0}
    line = to_markdown([row]).splitlines()[2]
    assert "| 0.750 | " in line and "| 0.000 |" in line and "| 1.000 |" in line and "| 2 |" in line


def test_short_labels_replace_long_timestamp_names(tmp_path: Path) -> None:
    lrp = fake_run(tmp_path, "20261126-151345-paper-lrp-p1")
    plain = fake_run(tmp_path, "20261126-151405-paper-none", kind="none")
    assert short_label(lrp) == "paper LRP p1 15:13"
    assert short_label(plain) == "paper CE 15:14"
    assert short_label(fake_run(tmp_path, "p0")) == "p0"  # short names stay as they are
    untimed = fake_run(tmp_path, "a-very-long-run-folder-name", kind="rrr")
    assert short_label(untimed) == "paper RRR 09:41"  # time from config.json's "created"
    twin = fake_run(tmp_path, "20261126-151352-paper-lrp-p1")
    assert short_labels([lrp, twin, plain]) == ["paper LRP p1 15:13:45", "paper LRP p1 15:13:52", "paper CE 15:14"]


def test_size_problem_names_each_runs_size(tmp_path: Path) -> None:
    a = fake_run(tmp_path, "20261126-151345-paper-lrp-p1", 64)
    b = fake_run(tmp_path, "20261126-151405-paper-none", 96, kind="none")
    c = fake_run(tmp_path, "p2", 64)
    assert size_problem([a, c], "Fig. 5") is None and image_size(b) == 96
    assert size_problem([a, b, c], "Fig. 5") == ("Fig. 5 needs runs of one image size: "
                                                 "64 px (p2, paper LRP p1 15:13); 96 px (paper CE 15:14)")
    sizeless = fake_run(tmp_path, "old", None)
    assert "old has no image size" in size_problem([a, sizeless], "Fig. 5")


def test_pinned_slices_read_in_column_order(tmp_path: Path) -> None:
    run = fake_run(tmp_path, "r")
    assert pinned_slices(run) == []
    record = {"rows": [4, 1], "pool": "val", "slices": [{"case": "c9", "slice": 39, "label": 1},
                                                        {"case": "c1", "slice": 7, "label": 0}]}
    (RunFolder(run).heatmap_dir / "pinned.json").write_text(json.dumps(record))
    assert pinned_slices(run) == [("c9", 39), ("c1", 7)]
    (RunFolder(run).heatmap_dir / "pinned.json").write_text("{broken")
    with pytest.raises(LrpStudioError, match="cannot read the pinned slices"):
        pinned_slices(run)


def test_counted_words_are_singular_only_for_one() -> None:
    from lrpstudio.app.run_summaries import counted

    assert [counted(n, "epoch") for n in (0, 1, 2)] == ["0 epochs", "1 epoch", "2 epochs"]


def test_resume_choices_list_runs_with_a_checkpoint_newest_first(tmp_path: Path) -> None:
    from lrpstudio.app.run_summaries import resume_choices

    older = fake_run(tmp_path, "20261126-091000-paper-lrp-p1")
    newer = fake_run(tmp_path, "20261126-101500-paper-none", kind="none", penalty=0.0)
    fake_run(tmp_path, "20261126-111500-paper-lrp-p1")  # no checkpoint: nothing to resume
    for run in (older, newer):
        checkpoint = RunFolder(run).checkpoint("last")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        checkpoint.write_bytes(b"saved")
    choices = resume_choices(tmp_path)
    assert [path for _label, path in choices] == [newer, older]
    assert choices[0][0].startswith("paper CE 10:15 — ") and "epochs" in choices[0][0]
    assert resume_choices(None) == [] and resume_choices(tmp_path / "missing") == []


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.core.train.broken_runs import make_tiny_run
    from tests.core.train.factory import tiny_dataset

    return make_tiny_run(tmp_path_factory.mktemp("table") / "run",
                         tiny_dataset(n_cases=8, slices_per_case=2, size=32))


def _table_corpus() -> list[str]:
    from tests.core.train.broken_runs import CORPUS

    return sorted(name for name, damage in CORPUS.items() if "table" in damage.refused_by)


@pytest.mark.parametrize("name", _table_corpus())
def test_a_broken_run_is_an_unreadable_row_with_its_reason(tiny_run: Path, name: str, tmp_path: Path) -> None:
    from lrpstudio.app.run_summaries import summarize_all
    from tests.core.train.broken_runs import CORPUS, checkpoint_for, damaged_copy

    broken = damaged_copy(tiny_run, name, tmp_path / "run")
    good, row = summarize_all([tiny_run, broken])
    assert good["status"] == "finished" and row["run"] == "run"
    file = Path(checkpoint_for(name, "table")).name or "run"
    assert row["status"].startswith(f"unreadable: {file}: ") and CORPUS[name].says in row["status"]
    assert "\n" not in row["status"]
