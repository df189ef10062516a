"""Metrics from sums and counts, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score

from lrpstudio.core.train.metrics import EpochSums, classification_metrics, confusion_matrix, mean_scores


@pytest.mark.parametrize("seed", range(6))
def test_classification_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    labels = rng.integers(0, 2, n)
    predictions = rng.integers(0, 2, n) if seed % 3 else np.zeros(n, dtype=int)  # a class never predicted
    got = classification_metrics(confusion_matrix(labels, predictions))
    assert got["accuracy"] == pytest.approx(accuracy_score(labels, predictions))
    assert got["f1_weighted"] == pytest.approx(
        f1_score(labels, predictions, average="weighted", labels=[0, 1], zero_division=0))
    assert got["sensitivity"] == pytest.approx(recall_score(labels, predictions, pos_label=1, zero_division=0))
    assert got["specificity"] == pytest.approx(recall_score(labels, predictions, pos_label=0, zero_division=0))


def test_sums_merge_like_one_pass_and_scores_skip_nan() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 40)
    predictions = rng.integers(0, 2, 40)
    scores = rng.random(40)
    scores[::7] = np.nan  # slices without tumour
    whole, parts = EpochSums(), EpochSums()
    whole.add_losses(40, 0.5, 0.25, 0.75)
    whole.add_predictions(labels, predictions)
    whole.add_scores(labels, scores)
    for chunk in np.array_split(np.arange(40), 3):
        piece = EpochSums()
        piece.add_losses(len(chunk), 0.5, 0.25, 0.75)
        piece.add_predictions(labels[chunk], predictions[chunk])
        piece.add_scores(labels[chunk], scores[chunk])
        parts.merge(piece)
    np.testing.assert_allclose(parts.values, whole.values)
    m = whole.metrics()
    assert m["ce"] == pytest.approx(0.5) and m["total"] == pytest.approx(0.75)
    for k, name in enumerate(("score_lgg", "score_hgg")):
        expected = np.nanmean(scores[labels == k])
        assert m[name] == pytest.approx(expected)
    assert np.isnan(mean_scores(np.zeros(3, int), np.full(3, 0.5))["score_hgg"])
