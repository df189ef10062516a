"""Per-case summaries of a queue: means now and before, in the order of each case's best rank."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lrpstudio.app.review import ReviewQueue, case_summaries
from lrpstudio.core.review.queue import SliceReview, rank_entries
from tests.core.review.factory import slice_review


def _review(case: str, z: int, outside: float, score: float) -> SliceReview:
    # An LGG slice whose outside share lies in one blob, so all of it sets the priority.
    return slice_review(case, z, outside, score=score, label=0, split="test")


def test_case_means_now_and_before() -> None:
    now = [_review("a", 1, 0.2, 0.8), _review("a", 2, 0.4, 0.6), _review("b", 1, 0.9, math.nan)]
    before = {r.key: r for r in [_review("a", 1, 0.6, 0.4), _review("a", 2, 0.8, 0.2)]}
    queue = ReviewQueue(Path("run"), Path("old"), rank_entries(now, before))
    b, a = case_summaries(queue)
    assert (b.case_id, b.best_rank, b.slices) == ("b", 1, 1)
    assert math.isnan(b.score) and b.outside_before is None
    assert (a.case_id, a.best_rank, a.slices, a.label) == ("a", 2, 2, "LGG")
    assert a.outside == pytest.approx(0.3) and a.outside_before == pytest.approx(0.7)
    assert a.score == pytest.approx(0.7) and a.score_before == pytest.approx(0.3)
