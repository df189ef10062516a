"""The review queue's priority: which slice an expert should look at first.

With ``o`` the share of the slice's positive relevance outside the tumour mask (brain
edge + inside brain + background, :mod:`lrpstudio.core.review.outside`) and
``m = 2 * confidence - 1`` the model's margin (confidence = the predicted class's
probability, so ``m`` is in [0, 1])::

    priority = o * (1 + m)      when the prediction is correct
    priority = o * WRONG_WEIGHT when it is wrong (WRONG_WEIGHT = 0.75)

A confident, correct slice whose relevance lies outside the mask comes first: the model
is right for a reason the mask does not hold, a shortcut or tumour the mask missed. A
wrong prediction that looks outside follows; slices whose relevance sits in the tumour
(``o`` near 0), such as cases a retrained run has fixed, come last. A slice without
positive relevance has ``o = 0``. Ties are broken by case id, then slice index, so the
order is the same on every run.
"""

from __future__ import annotations

import math

__all__ = ["WRONG_WEIGHT", "priority", "queue_order"]

#: Weight of a wrong prediction's outside share (below a correct one's minimum of 1).
WRONG_WEIGHT = 0.75


def priority(outside: float, confidence: float, correct: bool) -> float:
    """The documented priority of one slice (higher = reviewed earlier).

    Parameters
    ----------
    outside
        Share of positive relevance outside the tumour mask, in [0, 1].
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


def queue_order(value: float, case_id: str, z: int) -> tuple[float, str, int]:
    """Sort key: highest priority first, then case id, then slice index."""
    return (-float(value), str(case_id), int(z))
