"""The queue's priority and ranking, and scoring a tiny dataset with a real model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrpstudio.core.errors import CancelledError
from lrpstudio.core.models import build_model
from lrpstudio.core.review.outside import RegionFractions
from lrpstudio.core.review.priority import WRONG_WEIGHT, priority
from lrpstudio.core.review.queue import SliceReview, rank_entries, review_slices, tumour_rows
from tests.core.train.factory import tiny_dataset


def test_priority_puts_confident_correct_outside_first_then_wrong_then_clean() -> None:
    shortcut = priority(0.8, 0.99, True)
    wrong = priority(0.8, 0.99, False)
    unsure = priority(0.8, 0.5, True)
    clean = priority(0.05, 0.99, True)
    assert shortcut > unsure > wrong > clean
    assert wrong == pytest.approx(0.8 * WRONG_WEIGHT)
    assert priority(math.nan, 0.9, True) == 0.0


def _review(case: str, z: int, outside: float, correct: bool = True, score: float = 0.5) -> SliceReview:
    tumour = 1.0 - outside
    return SliceReview(case_id=case, split="val", z=z, label=1, prediction=1 if correct else 0,
                       probability_hgg=0.9 if correct else 0.1, score=score,
                       fractions=RegionFractions(tumour, outside / 2, outside / 4, outside / 4, 1.0))


def test_ranking_is_by_priority_with_deterministic_ties_and_a_baseline() -> None:
    reviews = [_review("b", 3, 0.5), _review("a", 7, 0.5), _review("c", 1, 0.9), _review("d", 2, 0.1)]
    baseline = {"c:1": _review("c", 1, 0.2, score=0.8)}
    entries = rank_entries(reviews, baseline)
    assert [e.key for e in entries] == ["c:1", "a:7", "b:3", "d:2"]
    assert [e.rank for e in entries] == [1, 2, 3, 4]
    assert entries[0].outside_before == pytest.approx(0.2) and entries[0].score_before == 0.8
    assert entries[1].outside_before is None
    assert entries[0].edge_fraction == pytest.approx(0.45) and entries[0].background_fraction == pytest.approx(0.225)
    assert entries[0].label == "HGG" and entries[0].correct and entries[0].confidence == pytest.approx(0.9)


def test_review_slices_scores_every_tumour_slice_in_batches() -> None:
    dataset = tiny_dataset(n_cases=4, slices_per_case=2, size=32)
    torch.manual_seed(0)
    model = build_model("paper", image_size=32, in_channels=3, num_classes=2)
    calls: list[tuple[int, int]] = []
    reviews = review_slices(model, dataset, "epsilon_plus_flat", batch_size=3,
                            progress=lambda done, total, _: calls.append((done, total)))
    assert len(reviews) == len(tumour_rows(dataset)) == 8
    assert calls[-1] == (8, 8) and len(calls) == 3
    for r in reviews:
        total = r.fractions.tumour + r.fractions.outside
        assert total == pytest.approx(1.0) or r.fractions.total == 0.0
        assert np.isfinite(r.score) and 0.0 <= r.probability_hgg <= 1.0
        assert all(c.mass_fraction <= r.fractions.outside + 1e-9 for c in r.components)
    with pytest.raises(CancelledError):
        review_slices(model, dataset, "epsilon_plus_flat", cancel=lambda: True)
