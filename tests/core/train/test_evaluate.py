"""Evaluation, single-slice explanation and the penalty experiment on a trained tiny run."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, recall_score

from lrpstudio.core.errors import CheckpointError, DatasetError, InputError
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import evaluate_run, load_run_model
from lrpstudio.core.train.experiment import ExperimentConfig, markdown_table, run_experiment
from lrpstudio.core.train.explain import explain_slice
from lrpstudio.core.xai.relevance import relevance
from lrpstudio.core.xai.score import tumor_lrp_score
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def run(dataset, tmp_path_factory):
    from lrpstudio.core.train.config import TrainConfig

    run_dir = tmp_path_factory.mktemp("eval") / "run"
    fit(TrainConfig(epochs=1, batch_size=8, pinned=2, seed=1), dataset, run_dir=run_dir)
    return run_dir


def test_evaluate_matches_sklearn_and_a_direct_score(run, dataset) -> None:
    result = evaluate_run(run, dataset, split="test")
    model, config, _ = load_run_model(run)
    part = dataset.subset("test")
    x = torch.from_numpy(part.images)
    with torch.no_grad():
        predictions = model(x).argmax(1).numpy()
    labels = part.labels
    assert result["accuracy"] == pytest.approx(accuracy_score(labels, predictions))
    assert result["f1_weighted"] == pytest.approx(f1_score(labels, predictions, average="weighted",
                                                           labels=[0, 1], zero_division=0))
    assert result["sensitivity"] == pytest.approx(recall_score(labels, predictions, pos_label=1, zero_division=0))
    assert result["specificity"] == pytest.approx(recall_score(labels, predictions, pos_label=0, zero_division=0))
    rel = relevance(model, x, torch.from_numpy(labels), composite=config.composite)
    scores = tumor_lrp_score(rel, torch.from_numpy(part.tumor_masks), torch.from_numpy(part.brain_masks)).numpy()
    assert result["score_lgg"] == pytest.approx(np.nanmean(scores[labels == 0]), rel=1e-4)
    assert result["score_hgg"] == pytest.approx(np.nanmean(scores[labels == 1]), rel=1e-4)
    assert result["slices"] == len(part) and result["split"] == "test"
    json.dumps(result)  # plain data


def test_evaluate_refuses_data_of_another_shape_and_missing_runs(run, tmp_path) -> None:
    small = tiny_dataset(n_cases=6, slices_per_case=1, size=32)
    with pytest.raises(DatasetError, match="does not fit"):
        evaluate_run(run, small, source=tmp_path / "other")
    with pytest.raises(CheckpointError, match="config.json"):
        evaluate_run(tmp_path, small)


def test_explain_slice_writes_png(run, dataset, tmp_path) -> None:
    case = str(dataset.case_ids[-1])
    out = explain_slice(run, dataset, case, tmp_path / "x" / "slice.png")
    assert (tmp_path / "x" / "slice.png").stat().st_size > 1000
    assert out["case"] == case and out["prediction"] in ("LGG", "HGG") and 0 <= out["score"] <= 1
    with pytest.raises(DatasetError, match="no slice"):
        explain_slice(run, dataset, case, tmp_path / "y.png", slice_index=999)


def test_experiment_writes_table_and_figure(dataset, config, tmp_path) -> None:
    base = dataclasses.replace(config, epochs=1, pinned=0)
    rows = run_experiment(dataset, tmp_path / "exp", ExperimentConfig(base, penalties=(0.0, 1.0),
                                                                        figure_slices=2))
    assert [r["model"] for r in rows] == ["Original", "Penalization1"]
    csv_text = (tmp_path / "exp" / "table1.csv").read_text().splitlines()
    assert csv_text[0].startswith("model,penalty,accuracy") and len(csv_text) == 3
    md = (tmp_path / "exp" / "table1.md").read_text()
    assert md == markdown_table(rows) and "Penalization1" in md
    assert (tmp_path / "exp" / "fig5.png").stat().st_size > 1000
    guidance = json.loads((tmp_path / "exp" / "p0" / "config.json").read_text())["train"]["guidance"]
    assert guidance["kind"] == "none"
    # Same seed and data: both runs start from the same weights (epoch-0 checkpoints are overwritten,
    # so compare the recorded seeds and data hashes).
    records = [json.loads((tmp_path / "exp" / p / "config.json").read_text()) for p in ("p0", "p1")]
    assert records[0]["dataset"]["data_hash"] == records[1]["dataset"]["data_hash"]
    assert records[0]["train"]["seed"] == records[1]["train"]["seed"]
    again = run_experiment(dataset, tmp_path / "exp", ExperimentConfig(base, penalties=(0.0, 1.0),
                                                                         figure_slices=2))
    assert again == rows  # finished runs are reused, not retrained
    other = ExperimentConfig(dataclasses.replace(base, lr=0.01), penalties=(0.0,))
    with pytest.raises(InputError, match="own settings"):  # never reuse a run made otherwise
        run_experiment(dataset, tmp_path / "exp", other)
