"""Deep k-NN (Papernot & McDaniel, 2018): credibility of a prediction from its neighbours.

For an input and a candidate class ``j``, the *nonconformity* ``alpha_j`` is the number of
its k nearest training slices, summed over every feature layer, whose label is not ``j``.
The calibration set (the validation split, never seen in training) gives a reference
distribution ``A`` of the nonconformity of each calibration slice with its *true* label.
Then

    p_j          = |{a in A : a >= alpha_j}| / |A|
    prediction   = argmax_j p_j
    credibility  = p_prediction            (how typical the input's neighbourhood is)
    confidence   = 1 - second largest p_j

Calibration points whose nonconformity is zero are kept: they are the most conforming
ones, and dropping them (as the reference implementation does) shrinks ``|A|`` while
leaving every count for ``alpha_j > 0`` unchanged, which inflates the p-values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from lrpstudio.core.errors import InputError
from lrpstudio.core.xai.knn import KnnIndex, Neighbour


def nonconformity(neighbour_labels: Sequence[np.ndarray], num_classes: int) -> np.ndarray:
    """Nonconformity of one input for every class.

    Parameters
    ----------
    neighbour_labels
        One array of neighbour labels per layer (lengths may differ).
    num_classes
        Number of classes.

    Returns
    -------
    numpy.ndarray
        int64 (num_classes,): for each class ``j`` the count of neighbours, over all layers,
        whose label is not ``j``.
    """
    labels = np.concatenate([np.asarray(a, np.int64).ravel() for a in neighbour_labels]) \
        if len(neighbour_labels) else np.zeros(0, np.int64)
    counts = np.bincount(labels, minlength=num_classes)[:num_classes]
    return (labels.size - counts).astype(np.int64)


def p_values(calibration_scores: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Fraction of calibration scores at least as large as each alpha.

    Parameters
    ----------
    calibration_scores
        (M,) nonconformity of each calibration point with its true label (zeros included).
    alphas
        Any shape: nonconformity values of candidate labels.

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``alphas``.
    """
    scores = np.sort(np.asarray(calibration_scores, np.float64))
    if scores.size == 0:
        raise InputError("the calibration set is empty", expected="at least one slice", actual=0)
    alphas = np.asarray(alphas, np.float64)
    # count of scores >= a  ==  M - (count of scores < a)
    below = np.searchsorted(scores, alphas, side="left")
    return (scores.size - below) / scores.size


@dataclass(frozen=True)
class DknnCalibration:
    """Nonconformity scores of the calibration slices (with their true labels)."""

    scores: np.ndarray
    k: int
    layers: tuple[str, ...]
    num_classes: int = 2

    def as_dict(self) -> dict[str, Any]:
        """Summary for JSON: size and the score histogram."""
        return {"size": int(self.scores.size), "k": self.k, "layers": list(self.layers),
                "histogram": np.bincount(self.scores.astype(np.int64)).tolist()}


@dataclass(frozen=True)
class DknnResult:
    """Deep k-NN verdict on one input."""

    nonconformity: np.ndarray   # (num_classes,)
    p_values: np.ndarray        # (num_classes,)
    prediction: int
    credibility: float
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"nonconformity": self.nonconformity.tolist(), "p_values": self.p_values.tolist(),
                "prediction": self.prediction, "credibility": self.credibility,
                "confidence": self.confidence}


def _labels(per_layer: dict[str, list[Neighbour]]) -> list[np.ndarray]:
    return [np.array([n.label for n in neighbours], np.int64) for neighbours in per_layer.values()]


def calibrate(index: KnnIndex, features: dict[str, np.ndarray], labels: np.ndarray,
              case_ids: Sequence[str], k: int, num_classes: int = 2) -> DknnCalibration:
    """Nonconformity of each calibration slice with its true label.

    Parameters
    ----------
    index
        k-NN index over the training atlas.
    features
        Layer -> (M, D) features of the calibration slices (the validation split).
    labels, case_ids
        (M,) true labels and patients of the calibration slices.
    k
        Neighbours per layer (the same k as for the queries).
    """
    layers = tuple(index.atlas.layers)
    labels = np.asarray(labels, np.int64)
    neighbours = {layer: index.query(layer, features[layer], list(case_ids), k) for layer in layers}
    scores = np.empty(labels.size, np.int64)
    for m in range(labels.size):
        per_layer = {layer: neighbours[layer][m] for layer in layers}
        scores[m] = nonconformity(_labels(per_layer), num_classes)[labels[m]]
    return DknnCalibration(scores=scores, k=k, layers=layers, num_classes=num_classes)


def deep_knn(calibration: DknnCalibration, neighbours: dict[str, list[Neighbour]]) -> DknnResult:
    """Deep k-NN prediction, credibility and confidence of one query.

    Parameters
    ----------
    calibration
        From :func:`calibrate`, with the same index and k.
    neighbours
        Layer -> the query's neighbours (from :meth:`KnnIndex.query` or
        :func:`~lrpstudio.core.xai.knn.find_similar`) at every calibrated layer.
    """
    missing = set(calibration.layers) - set(neighbours)
    if missing:
        raise InputError("the query lacks neighbours at calibrated layers",
                         expected=list(calibration.layers), actual=sorted(neighbours))
    per_layer = {layer: neighbours[layer] for layer in calibration.layers}
    alphas = nonconformity(_labels(per_layer), calibration.num_classes)
    p = p_values(calibration.scores, alphas)
    order = np.argsort(-p, kind="stable")
    prediction = int(order[0])
    second = float(p[order[1]]) if p.size > 1 else 0.0
    return DknnResult(nonconformity=alphas, p_values=p, prediction=prediction,
                      credibility=float(p[prediction]), confidence=1.0 - second)
