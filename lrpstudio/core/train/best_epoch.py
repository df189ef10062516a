"""Which epoch a run keeps as ``best.pt``: one rule for the engine and for every reader.

An epoch beats the current best when its validation metric is better (ties go to the
lower validation loss), except that an epoch whose model predicts one grade for >= 95 %
of the validation slices is never preferred to one that does not, and vice versa: a
one-class model can have the lowest loss or, on imbalanced data, the highest weighted F1.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from lrpstudio.core.train.config import BEST_METRICS
from lrpstudio.core.train.metrics import collapse_message

Row = Mapping[str, float]


def is_better(value: float, best: float | None, metric: str) -> bool:
    """Whether ``value`` beats ``best`` for ``metric`` (NaN never does)."""
    if not np.isfinite(value):
        return False
    if best is None or not np.isfinite(best):
        return True
    return value > best if BEST_METRICS[metric] else value < best


def collapsed(row: Row) -> bool:
    """Whether an epoch's validation predictions collapsed onto one grade."""
    return collapse_message(float(row.get("val_predicted_hgg", math.nan))) is not None


def beats(row: Row, best: Row | None, metric: str) -> bool:
    """Whether epoch ``row`` replaces the current ``best`` epoch (None: no best yet)."""
    if best is None:
        return is_better(row[f"val_{metric}"], None, metric)
    if collapsed(row) != collapsed(best):
        return collapsed(best)  # a working model beats a collapsed one, never the reverse
    value, best_value = row[f"val_{metric}"], best[f"val_{metric}"]
    if value == best_value:
        return is_better(row["val_total"], best["val_total"], "total")
    return is_better(value, best_value, metric)


def best_row(rows: Iterable[Row], metric: str) -> Row | None:
    """The epoch the engine keeps as best among ``rows`` (metrics.csv rows, in order)."""
    best: Row | None = None
    for row in rows:
        if beats(row, best, metric):
            best = row
    return best
