"""A run's confusion matrix and ROC/AUC on its validation split, measured once and recorded."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.evaluations import run_diagnostics
from lrpstudio.core.errors import CancelledError
from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from lrpstudio.core.train.evaluate import evaluation_file, read_evaluation, roc_summary
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def data_and_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diagnostics")
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32), root / "dataset")
    return data, make_tiny_run(root / "run", load_dataset(data))


def test_roc_summary_against_a_hand_count() -> None:
    roc = roc_summary(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]))
    assert roc["auc"] == pytest.approx(0.75)  # 3 of the 4 (HGG, LGG) pairs ordered right
    assert roc["fpr"][0] == 0.0 and roc["tpr"][-1] == 1.0 and roc["thresholds"][0] == 2.0
    assert roc_summary(np.array([1, 1]), np.array([0.2, 0.8]))["auc"] is None


def test_diagnostics_are_measured_once_then_read_back(data_and_run) -> None:
    data, run = data_and_run
    calls: list[int] = []
    loads: list[int] = []

    def load(size: int):
        loads.append(size)
        return load_dataset(data)

    result = run_diagnostics(run, load, data, best_epoch=1, split="val",
                             progress=lambda done, total, _m: calls.append(done))
    val = load_dataset(data).subset("val")
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == len(val) and calls[-1] == len(val)
    assert list(matrix.sum(axis=1)) == [int((val.labels == 0).sum()), int((val.labels == 1).sum())]
    roc = result["roc"]
    assert len(roc["fpr"]) == len(roc["tpr"]) >= 2
    auc = roc["auc"]
    assert auc is None or 0.0 <= auc <= 1.0
    assert evaluation_file(run, "val").is_file()
    recorded = read_evaluation(run, "val")
    assert recorded is not None and recorded["roc"]["fpr"] == roc["fpr"]
    again = run_diagnostics(run, load, data, best_epoch=1, split="val")
    assert loads == [32] and again["confusion_matrix"] == result["confusion_matrix"]  # read, not measured
    assert math.isclose(again["accuracy"], result["accuracy"])


def test_a_cancelled_measurement_stops_and_records_nothing(data_and_run) -> None:
    """Cancelled before the data is loaded, or while it loads: no batch runs, nothing is written."""
    data, run = data_and_run
    evaluation_file(run, "test").unlink(missing_ok=True)
    loads: list[int] = []
    stop = threading.Event()
    stop.set()
    with pytest.raises(CancelledError):
        run_diagnostics(run, lambda size: loads.append(size) or load_dataset(data), data, 1, "test",
                        cancel=stop)
    assert loads == []  # stopped before loading

    def cancel_once_loaded(size: int):  # noqa: ANN202 - the token is set while the data loads
        stop.set()
        return load_dataset(data)

    stop.clear()
    batches: list[int] = []
    with pytest.raises(CancelledError):
        run_diagnostics(run, cancel_once_loaded, data, 1, "test",
                        progress=lambda done, _t, _m: batches.append(done), cancel=stop)
    assert batches == [] and not evaluation_file(run, "test").exists()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_summary_matches_scikit_learn_with_ties(seed: int) -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 60)
    p_hgg = np.round(np.clip(0.3 * labels + rng.random(60) * 0.7, 0, 1), 1)  # many ties
    roc = roc_summary(labels, p_hgg)
    fpr, tpr, _ = roc_curve(labels, p_hgg, drop_intermediate=False)
    assert roc["auc"] == pytest.approx(roc_auc_score(labels, p_hgg))
    assert np.allclose(roc["fpr"], fpr) and np.allclose(roc["tpr"], tpr)
    assert roc_summary(np.ones(5, int), np.linspace(0, 1, 5))["auc"] is None
