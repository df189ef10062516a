"""Classification metrics and mean TumorLRPScore per class, from sums and counts.

Everything an epoch measures is kept as sums and counts in one float64 vector
(:class:`EpochSums`), so that data-parallel workers can all-reduce it with one call
and the metrics are computed once at the end. HGG (label 1) is the positive class:
sensitivity = recall of HGG, specificity = recall of LGG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NUM_CLASSES = 2
CLASS_NAMES: tuple[str, ...] = ("lgg", "hgg")

# Layout of the sums vector: loss sums, confusion matrix, score sums and counts per class.
_LOSS_KEYS: tuple[str, ...] = ("ce", "guidance", "total")
_N_LOSS = len(_LOSS_KEYS)
_CM = slice(_N_LOSS, _N_LOSS + NUM_CLASSES * NUM_CLASSES)
_SCORE_SUM = slice(_CM.stop, _CM.stop + NUM_CLASSES)
_SCORE_COUNT = slice(_SCORE_SUM.stop, _SCORE_SUM.stop + NUM_CLASSES)
# The forbidden (artefact) share: its sum over the slices with a region, and their count.
_FORBIDDEN = slice(_SCORE_COUNT.stop, _SCORE_COUNT.stop + 2)
_SIZE = _FORBIDDEN.stop


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """2x2 counts, rows = true class, columns = predicted class (0 LGG, 1 HGG)."""
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.float64)
    np.add.at(cm, (np.asarray(labels, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1.0)
    return cm


def _ratio(num: float, den: float) -> float:
    """num / den, 0 when den is 0 (scikit-learn's zero_division=0)."""
    return float(num / den) if den > 0 else 0.0


def classification_metrics(cm: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy, weighted and macro F1, sensitivity (HGG recall),
    specificity (LGG recall) and the share of slices predicted HGG.

    Weighted F1 alone rewards a one-class model on imbalanced data (it weights the
    majority class's F1 by its support); balanced accuracy and macro F1 do not.

    Parameters
    ----------
    cm
        Confusion matrix (rows true, columns predicted), counts as floats.
    """
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    support = cm.sum(axis=1)
    f1 = []
    for k in range(NUM_CLASSES):
        precision = _ratio(cm[k, k], cm[:, k].sum())
        recall = _ratio(cm[k, k], support[k])
        f1.append(_ratio(2 * precision * recall, precision + recall))
    sensitivity, specificity = _ratio(cm[1, 1], support[1]), _ratio(cm[0, 0], support[0])
    return {
        "accuracy": _ratio(np.trace(cm), total),
        "balanced_accuracy": (sensitivity + specificity) / 2.0,
        "f1_weighted": _ratio(float(np.dot(f1, support)), total),
        "f1_macro": float(np.mean(f1)),
        "sensitivity": sensitivity,
        "specificity": specificity,
        # Share of slices predicted HGG: near 0 or 1 is a model that predicts one class.
        "predicted_hgg": _ratio(cm[:, 1].sum(), total),
    }


#: A model that gives one class to at least this share of slices has collapsed.
COLLAPSE_SHARE = 0.95


def collapse_message(predicted_hgg: float, what: str = "validation slices") -> str | None:
    """Words for a model that predicts one class for >= 95 % of ``what``, else None.

    Parameters
    ----------
    predicted_hgg
        Share of slices predicted HGG (``predicted_hgg`` of :func:`classification_metrics`).
    what
        What was predicted, for the message (e.g. ``"test slices"``).
    """
    if not np.isfinite(predicted_hgg):
        return None
    for name, share in (("HGG", predicted_hgg), ("LGG", 1.0 - predicted_hgg)):
        if share >= 1.0:
            return f"predicts {name} for every {what.rstrip('s') if what.endswith('s') else what}"
        if share >= COLLAPSE_SHARE:
            return f"predicts {name} for {share:.0%} of {what}"
    return None


def mean_scores(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Mean TumorLRPScore per true class, over slices with a score (NaN = no tumour).

    A class without any scored slice gets NaN.
    """
    sums = EpochSums()
    sums.add_scores(labels, scores)
    return sums.score_means()


@dataclass
class EpochSums:
    """Sums and counts of one epoch (or one evaluation), all-reducible as one vector.

    Attributes
    ----------
    values
        float64 vector: loss sums (weighted by batch size), the confusion matrix,
        score sums per class, scored-slice counts per class, and last the number of
        slices seen. Summing these vectors across workers merges their epochs.
    """

    values: np.ndarray = field(default_factory=lambda: np.zeros(_SIZE + 1, dtype=np.float64))

    def add_losses(self, n: int, ce: float, guidance: float, total: float) -> None:
        """Add one batch's mean losses, weighted by its size ``n``."""
        self.values[:_N_LOSS] += n * np.array([ce, guidance, total], dtype=np.float64)
        self.values[-1] += n

    def add_predictions(self, labels: np.ndarray, predictions: np.ndarray) -> None:
        """Add one batch's labels and predicted classes to the confusion matrix."""
        self.values[_CM] += confusion_matrix(labels, predictions).ravel()

    def add_scores(self, labels: np.ndarray, scores: np.ndarray) -> None:
        """Add per-slice scores; NaN scores (slices without tumour) are skipped."""
        labels = np.asarray(labels, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        valid = np.isfinite(scores)
        for k in range(NUM_CLASSES):
            hit = valid & (labels == k)
            self.values[_SCORE_SUM.start + k] += scores[hit].sum()
            self.values[_SCORE_COUNT.start + k] += hit.sum()

    def add_forbidden(self, slices: int, share: float | None) -> None:
        """Add one batch's mean forbidden share over its ``slices`` slices with an artefact region."""
        if slices > 0 and share is not None and np.isfinite(share):
            self.values[_FORBIDDEN] += np.array([slices * float(share), slices], dtype=np.float64)

    def merge(self, other: "EpochSums") -> None:
        """Add another worker's or batch's sums (what an all-reduce does)."""
        self.values += other.values

    @property
    def count(self) -> int:
        """Slices added through :meth:`add_losses`."""
        return int(self.values[-1])

    @property
    def confusion(self) -> np.ndarray:
        """The 2x2 confusion matrix."""
        return self.values[_CM].reshape(NUM_CLASSES, NUM_CLASSES).copy()

    def score_means(self) -> dict[str, float]:
        """``score_lgg`` and ``score_hgg``: mean score per true class (NaN when none)."""
        sums, counts = self.values[_SCORE_SUM], self.values[_SCORE_COUNT]
        return {f"score_{name}": float(sums[k] / counts[k]) if counts[k] > 0 else float("nan")
                for k, name in enumerate(CLASS_NAMES)}

    def metrics(self) -> dict[str, float]:
        """All metrics: ce, guidance, total (means), classification metrics, scores, and
        ``forbidden`` (the mean share of positive relevance inside the artefact regions)
        when any slice with a region was trained or evaluated with the artefact penalty."""
        n = self.values[-1]
        out = {key: float(self.values[i] / n) if n > 0 else float("nan")
               for i, key in enumerate(_LOSS_KEYS)}
        out.update(classification_metrics(self.confusion))
        out.update(self.score_means())
        total, slices = self.values[_FORBIDDEN]
        if slices > 0:  # only runs with an artefact penalty and regions get the column
            out["forbidden"] = float(total / slices)
        return out
