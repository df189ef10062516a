"""The review queue's priority: which slice, and which case, an expert should look at first.

With ``f`` the slice's **focused outside share**, the summed share of its positive
relevance in the outside components that hold at least ``FOCUS_SHARE = 5 %`` of it each
(:mod:`lrpstudio.core.review.outside`), and ``m = 2 * confidence - 1`` the model's margin
(confidence = the predicted class's probability, so ``m`` is in [0, 1])::

    priority = f * (1 + m)      when the prediction is correct
    priority = f * WRONG_WEIGHT when it is wrong (WRONG_WEIGHT = 0.75)

A confident, correct slice whose relevance gathers in a blob outside the mask comes
first: the model is right for a reason the mask does not hold, a shortcut or tumour the
mask missed. A wrong prediction that looks outside follows; slices whose relevance sits
in the tumour, such as cases a retrained run has fixed, come last.

Why the focused share and not the whole share outside the mask: LRP spreads a thin haze
of relevance over the whole brain and the background, about a third of the total for
every slice of a plain-CE model, whatever the case. A fault is concentrated: a shortcut
column or an unmasked part of the tumour is one strong blob. Counting only blobs of at
least 5 % keeps the haze out of the ranking. (Chosen on a development set of 40 demo
cases with planted shortcuts and four shrunken masks, seed 123, not on the set the check
in docs/review-check.md reports: the faulty cases' ROC AUC by case went from 0.78 with the
whole outside share to 0.95.)

**Cases first.** The queue is ordered case by case: a case's priority is the mean of its
slices' priorities (a fault shows on most of a case's slices, a stray blob on one), and
within a case its slices follow by their own priority. The expert opens each case once
and the case-level ranking is what the mean makes reliable. Ties go by case id, then
slice index, so the order is the same on every run.
"""

from __future__ import annotations

import math
from typing import Iterable

__all__ = ["FOCUS_SHARE", "WRONG_WEIGHT", "case_priorities", "focused_share", "priority", "queue_order"]

#: Weight of a wrong prediction's outside share (below a correct one's minimum of 1).
WRONG_WEIGHT = 0.75
#: An outside component counts towards the focused share when it holds this much of R+.
FOCUS_SHARE = 0.05


def focused_share(masses: Iterable[float]) -> float:
    """The summed share of the outside components holding at least :data:`FOCUS_SHARE` each."""
    return float(sum(m for m in masses if math.isfinite(m) and m >= FOCUS_SHARE))


def case_priorities(priorities: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Each case's priority: the mean of its slices' ``(case_id, priority)`` values."""
    sums: dict[str, list[float]] = {}
    for case_id, value in priorities:
        sums.setdefault(str(case_id), []).append(float(value))
    return {case: sum(v) / len(v) for case, v in sums.items()}


def priority(outside: float, confidence: float, correct: bool) -> float:
    """The documented priority of one slice (higher = reviewed earlier).

    Parameters
    ----------
    outside
        The slice's focused outside share (:func:`focused_share`), in [0, 1].
    confidence
        Probability of the predicted class, in [0.5, 1].
    correct
        Whether the prediction is the true grade.
    """
    o = 0.0 if not math.isfinite(outside) else min(max(float(outside), 0.0), 1.0)
    if not correct:
        return o * WRONG_WEIGHT
    margin = min(max(2.0 * float(confidence) - 1.0, 0.0), 1.0)
    return o * (1.0 + margin)


def queue_order(value: float, case_id: str, z: int, case_value: float | None = None,
                ) -> tuple[float, str, float, int]:
    """Sort key: highest case priority first (``case_value``; the slice's own when None),
    then case id, then the slice's priority, then slice index."""
    case = float(value) if case_value is None else float(case_value)
    return (-case, str(case_id), -float(value), int(z))
