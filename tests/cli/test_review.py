"""`lrpstudio review` end to end: a real tiny run, the queue files, --baseline, --epochs, errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import save_dataset
from tests.core.train.broken_runs import damaged_copy
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32),
                        tmp_path_factory.mktemp("review") / "dataset")


@pytest.fixture(scope="module")
def run(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("review") / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "2", "--batch-size", "8",
                 "--pinned", "0", "--guidance", "none", "--seed", "1"]) == 0
    return run


def _one_line_error(code: int, capsys: pytest.CaptureFixture[str], says: str) -> None:
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("lrpstudio review: error:") and says in last, last


def test_queue_as_csv_and_json_with_the_top_table(run: Path, data: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["review", str(run), "--data", str(data), "--out", str(tmp_path / "q.csv")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("rank  case")
    assert len([line for line in out.splitlines() if line[:4].strip().isdigit()]) == 10
    with (tmp_path / "q.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 16 and [int(r["rank"]) for r in rows] == list(range(1, 17))
    # Case by case: cases by the mean priority of their slices, each case's slices by their own.
    cases = list(dict.fromkeys(r["case_id"] for r in rows))
    assert [r["case_id"] for r in rows] == [c for c in cases for r in rows if r["case_id"] == c]
    means = [np.mean([float(r["priority"]) for r in rows if r["case_id"] == c]) for c in cases]
    assert means == sorted(means, reverse=True)
    for case in cases:
        own = [float(r["priority"]) for r in rows if r["case_id"] == case]
        assert own == sorted(own, reverse=True)
    assert rows[0]["key"] == f"{rows[0]['case_id']}:{rows[0]['z']}" and rows[0]["score_before"] == ""

    assert main(["review", str(run), "--data", str(data), "--out", str(tmp_path / "q.json"), "--limit", "3"]) == 0
    document = json.loads((tmp_path / "q.json").read_text())
    assert document["run"] == str(run) and len(document["entries"]) == 3
    first = document["entries"][0]
    assert set(first) >= {"rank", "key", "probability_hgg", "confidence", "correct", "score", "outside_fraction",
                          "edge_fraction", "background_fraction", "components", "priority"}
    for component in first["components"]:
        assert component["where"] in ("background", "brain edge", "inside brain")


def test_baseline_fills_the_before_values(run: Path, data: Path, tmp_path: Path) -> None:
    assert main(["review", str(run), "--data", str(data), "--baseline", str(run),
                 "--out", str(tmp_path / "q.json")]) == 0
    entries = json.loads((tmp_path / "q.json").read_text())["entries"]
    for e in entries:
        assert e["outside_before"] == pytest.approx(e["outside_fraction"])
        assert e["score_before"] == pytest.approx(e["score"])


def test_epochs_report_and_a_run_without_records(run: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["review", str(run), "--epochs", "--out", str(tmp_path / "e.csv")]) == 0
    out = capsys.readouterr().out
    assert "epochs 1..2, 2 validation cases" in out
    with (tmp_path / "e.csv").open() as handle:
        assert {r["case_id"] for r in csv.DictReader(handle)} == {"case04", "case05"}
    old = shutil.copytree(run, tmp_path / "old")
    shutil.rmtree(old / "review")
    assert main(["review", str(old), "--epochs"]) == 0
    assert capsys.readouterr().out.count("\n") == 1  # one line says there is no record


def test_errors_are_one_line(run: Path, data: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "q.csv")
    _one_line_error(main(["review", str(tmp_path / "nothing"), "--data", str(data), "--out", out]), capsys,
                    "config.json")
    wide = save_dataset(tiny_dataset(n_cases=4, slices_per_case=1, size=64), tmp_path / "wide")
    _one_line_error(main(["review", str(run), "--data", str(wide), "--out", out]), capsys,
                    "the data does not fit the model")
    broken = damaged_copy(run, "checkpoint-no-weights", tmp_path / "broken")
    _one_line_error(main(["review", str(broken), "--data", str(data), "--out", out]), capsys, "best.pt")
    _one_line_error(main(["review", str(run), "--data", str(data), "--out", str(tmp_path / "q.txt")]), capsys,
                    ".csv or .json")
    _one_line_error(main(["review", str(run), "--data", str(data)]), capsys, "--out")
    _one_line_error(main(["review", str(run), "--data", str(data), "--out", out, "--device", "gpu"]), capsys,
                    "unknown device")
    if not torch.cuda.is_available():
        _one_line_error(main(["review", str(run), "--data", str(data), "--out", out, "--device", "cuda"]),
                        capsys, "no GPU is available")
    assert not Path(out).exists()


def test_the_queue_runs_on_the_device_asked_for(run: Path, data: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """--device reaches the loading of both the run's and the baseline's model."""
    from lrpstudio.core.train import evaluate

    asked: list[str] = []
    real = evaluate.load_run_model

    def recording(run_dir, which="best", device="cpu"):  # noqa: ANN001, ANN202 - a spy
        asked.append(device)
        return real(run_dir, which, device)

    monkeypatch.setattr("lrpstudio.app.explain.load_run_model", recording)
    monkeypatch.setattr("lrpstudio.app.review.load_run_model", recording)
    baseline = Path(shutil.copytree(run, tmp_path / "baseline"))
    assert main(["review", str(run), "--data", str(data), "--baseline", str(baseline), "--device", "cpu:0",
                 "--out", str(tmp_path / "q.csv")]) == 0
    # The run and the baseline checked up front on the device asked for; the baseline's
    # scoring follows the run's model (torch names a CPU tensor's device plain "cpu").
    assert asked == ["cpu:0", "cpu:0", "cpu"], asked
