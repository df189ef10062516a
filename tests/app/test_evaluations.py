"""Evaluations kept with their runs: recorded by the app and the CLI through one writer,
shown again only for the data they were measured on and the best checkpoint they used."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lrpstudio.app.evaluations import evaluate_and_record, recorded_evaluation
from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.core.errors import InputError
from lrpstudio.core.train.evaluate import evaluation_file, read_evaluation
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def data_and_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("evaluations")
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32), root / "dataset")
    return data, make_tiny_run(root / "run", load_dataset(data))


def test_the_app_records_and_finds_a_test_evaluation(data_and_run, tmp_path: Path) -> None:
    data, run = data_and_run
    results = evaluate_and_record([run], lambda _size: load_dataset(data), data)
    assert evaluation_file(run, "test").is_file()
    found = recorded_evaluation(run, data, best_epoch=1)
    assert found is not None and found["split"] == "test" and found["checkpoint"] == "best"
    for key in ("accuracy", "balanced_accuracy", "score_hgg"):
        ours, theirs = found[key], results[str(run)][key]
        assert (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs), key
    assert recorded_evaluation(run, tmp_path, best_epoch=1) is None  # other data
    assert recorded_evaluation(run, data, best_epoch=2) is None  # trained further since


def test_the_cli_writes_the_same_record(data_and_run, capsys) -> None:
    data, run = data_and_run
    evaluation_file(run, "test").unlink(missing_ok=True)
    assert main(["evaluate", str(run), "--data", str(data), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    found = recorded_evaluation(run, data, best_epoch=1)
    assert found is not None and found["slices"] == printed["slices"]
    assert found["accuracy"] == pytest.approx(printed["accuracy"])


def test_a_damaged_record_is_one_error_naming_it_and_not_shown(data_and_run, tmp_path: Path) -> None:
    data, run = data_and_run
    copy = tmp_path / "run"
    copy.mkdir()
    evaluation_file(copy, "test").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_evaluation(copy, "test")
    assert str(evaluation_file(copy, "test")) in caught.value.message()
    assert recorded_evaluation(copy, data, best_epoch=1) is None
