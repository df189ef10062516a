"""The queue's priority and ranking, and scoring a tiny dataset with a real model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrpstudio.core.errors import CancelledError
from lrpstudio.core.models import build_model
from lrpstudio.core.review.priority import FOCUS_SHARE, WRONG_WEIGHT, focused_share, priority
from lrpstudio.core.review.queue import SliceReview, rank_entries, review_slices, tumour_rows
from tests.core.review.factory import slice_review
from tests.core.train.factory import tiny_dataset


def test_priority_puts_confident_correct_outside_first_then_wrong_then_clean() -> None:
    shortcut = priority(0.8, 0.99, True)
    wrong = priority(0.8, 0.99, False)
    unsure = priority(0.8, 0.5, True)
    clean = priority(0.05, 0.99, True)
    assert shortcut > unsure > wrong > clean
    assert wrong == pytest.approx(0.8 * WRONG_WEIGHT)
    assert priority(math.nan, 0.9, True) == 0.0


def _review(case: str, z: int, outside: float, correct: bool = True, score: float = 0.5,
            blobs: tuple[float, ...] | None = None) -> SliceReview:
    return slice_review(case, z, outside, score=score, correct=correct, blobs=blobs)


def test_the_focused_share_counts_only_blobs_of_at_least_five_percent() -> None:
    assert focused_share([0.3, 0.05, FOCUS_SHARE - 1e-9, 0.01, math.nan]) == pytest.approx(0.35)
    assert focused_share([]) == 0.0


def test_a_haze_outside_the_mask_ranks_below_a_concentrated_blob() -> None:
    # Both slices have 60 % of R+ outside; only the blob is a fault worth a look.
    haze = _review("haze", 1, 0.6, blobs=(0.04, 0.03, 0.02))
    blob = _review("blob", 1, 0.6, blobs=(0.3, 0.02))
    assert [e.case_id for e in rank_entries([haze, blob])] == ["blob", "haze"]


def test_the_queue_goes_case_by_case_by_the_mean_of_a_case_s_slices() -> None:
    # Case "one" has one hot slice and two clean ones (mean 0.6 * 1.8 / 3); case "many"
    # looks outside on all its slices (mean 0.4 * 1.8): it comes first, then "one" with
    # its hot slice leading.
    reviews = [_review("one", 1, 0.0, blobs=()), _review("one", 2, 0.6), _review("one", 3, 0.0, blobs=()),
               _review("many", 5, 0.4), _review("many", 6, 0.4)]
    keys = [e.key for e in rank_entries(reviews)]
    assert keys == ["many:5", "many:6", "one:2", "one:1", "one:3"]


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
