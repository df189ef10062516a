"""Evaluation and single-slice explanation on a trained tiny run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, recall_score

from lrpstudio.core.errors import CheckpointError, DatasetError
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import evaluate_run, load_run_model
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
