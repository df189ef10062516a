"""The review queue: every tumour slice of a dataset scored by a model, ranked for review.

Each slice with a tumour is explained for its true grade with the run's composite (the
relevance :func:`~lrpstudio.core.train.heatmaps.explain_batch` computes, kept per channel
here so that ``R+`` is exactly the TumorLRPScore's), in batches, in eval mode. Per slice
it records the prediction, P(HGG), the confidence, TumorLRPScore, the shares of positive
relevance on the brain edge, inside the brain and on the background
(:mod:`lrpstudio.core.review.outside`) and the largest outside components. Slices are
ranked case by case by :mod:`lrpstudio.core.review.priority` (formula in that module).

A baseline run scored on the same slices fills ``score_before`` / ``outside_before``, so
after a retrain the cases it fixed (``outside`` down) are visible, lower in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import CancelledError
from lrpstudio.core.jobs import ProgressCallback, is_cancelled
from lrpstudio.core.review.outside import (LISTED_SHARE, OutsideComponent, RegionFractions, outside_components,
                                          region_fractions, regions)
from lrpstudio.core.review.priority import case_priorities, focused_share, priority, queue_order
from lrpstudio.core.xai.relevance import forward_with_relevance
from lrpstudio.core.xai.score import tumor_lrp_score

__all__ = ["COMPONENTS_KEPT", "QueueEntry", "SliceReview", "entry_key", "explain_positive", "rank_entries",
           "review_slices", "tumour_rows"]

#: Outside components kept per slice (the largest by mass).
COMPONENTS_KEPT = 5


def entry_key(case_id: str, z: int) -> str:
    """The queue's key of a slice: ``"<case_id>:<z>"``."""
    return f"{case_id}:{int(z)}"


@dataclass(frozen=True)
class SliceReview:
    """One slice scored by one model (before ranking).

    Attributes
    ----------
    case_id, split, z, label
        Where the slice comes from and its true grade (index into ``GRADES``).
    prediction, probability_hgg
        Predicted class index and P(HGG).
    score
        TumorLRPScore (NaN without tumour).
    fractions
        Shares of positive relevance per region.
    components
        The largest outside components, by mass.
    """

    case_id: str
    split: str
    z: int
    label: int
    prediction: int
    probability_hgg: float
    score: float
    fractions: RegionFractions
    components: tuple[OutsideComponent, ...] = ()

    @property
    def key(self) -> str:
        return entry_key(self.case_id, self.z)

    @property
    def confidence(self) -> float:
        """Probability of the predicted class."""
        return self.probability_hgg if self.prediction == 1 else 1.0 - self.probability_hgg


@dataclass(frozen=True)
class QueueEntry:
    """One slice of the review queue, ranked (fields of the issue's contract)."""

    rank: int
    key: str
    case_id: str
    split: str
    z: int
    label: str
    prediction: str
    probability_hgg: float
    confidence: float
    correct: bool
    score: float
    outside_fraction: float
    edge_fraction: float
    background_fraction: float
    components: tuple[OutsideComponent, ...]
    priority: float
    score_before: float | None = None
    outside_before: float | None = None


def tumour_rows(dataset: SliceDataset) -> np.ndarray:
    """Rows of ``dataset`` whose tumour mask is not empty."""
    return np.flatnonzero(dataset.tumor_masks.reshape(len(dataset), -1).any(axis=1))


def explain_positive(model: torch.nn.Module, dataset: SliceDataset, rows: np.ndarray,
                     composite: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Explain ``rows`` of ``dataset`` for their labels, in eval mode (the model's mode is restored).

    Returns
    -------
    positive, scores, predictions, probabilities
        ``(N, S, S)`` float64 ``R+`` (positive part per channel, summed), TumorLRPScore
        (NaN without tumour), predicted class and P(HGG).
    """
    device = next(model.parameters()).device

    def tensor(array: np.ndarray, dtype: Any) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array[rows], dtype=dtype)).to(device)

    # Not core.train's to_batch: the training engine imports this package (no circle).
    images, labels = tensor(dataset.images, np.float32), tensor(dataset.labels, np.int64)
    was_training = model.training
    model.eval()
    try:
        logits, rel = forward_with_relevance(model, images, labels, composite=composite)
        scores = tumor_lrp_score(rel.detach(), tensor(dataset.tumor_masks, bool),
                                 tensor(dataset.brain_masks, bool))
    finally:
        model.train(was_training)
    positive = rel.detach().clamp(min=0).sum(dim=1).double().cpu().numpy()
    probabilities = torch.softmax(logits.detach().double(), dim=1)[:, 1].cpu().numpy()
    predictions = logits.detach().argmax(dim=1).cpu().numpy().astype(np.int64)
    return positive, scores.double().cpu().numpy(), predictions, probabilities


def review_slices(model: torch.nn.Module, dataset: SliceDataset, composite: str, *,
                  rows: np.ndarray | None = None, batch_size: int = 32, components: int = COMPONENTS_KEPT,
                  plane_shapes: Mapping[str, tuple[int, int]] | None = None,
                  progress: ProgressCallback | None = None, cancel: Any = None) -> list[SliceReview]:
    """Score slices of ``dataset`` with ``model``, in batches.

    Parameters
    ----------
    model
        The classifier (its mode is restored afterwards).
    dataset, rows
        The slices (default: every slice with a tumour, :func:`tumour_rows`).
    composite
        The run's LRP composite.
    batch_size
        Slices explained together.
    components
        Outside components kept per slice (0: none are searched, which is cheaper).
    plane_shapes
        ``case_id -> (I, J)``, the axial plane of each case's volume, for the
        components' voxels and centroids (missing: the prepared grid).
    progress, cancel
        ``progress(done, total, case_id)`` after each batch; a cancel token polled
        between batches.

    Raises
    ------
    CancelledError
        When ``cancel`` asks to stop.
    """
    rows = tumour_rows(dataset) if rows is None else np.asarray(rows, dtype=np.int64)
    shapes = plane_shapes or {}
    out: list[SliceReview] = []
    for start in range(0, len(rows), max(int(batch_size), 1)):
        if is_cancelled(cancel):
            raise CancelledError("the review was cancelled")
        part = rows[start:start + batch_size]
        positive, scores, predictions, probabilities = explain_positive(model, dataset, part, composite)
        for k, row in enumerate(part):
            case_id = str(dataset.case_ids[row])
            tumour, brain = dataset.tumor_masks[row], dataset.brain_masks[row]
            parts = regions(tumour, brain)  # once for the shares and the components
            found = (outside_components(positive[k], tumour, brain, shapes.get(case_id), components, parts,
                                        LISTED_SHARE)[0]
                     if components > 0 else [])
            out.append(SliceReview(
                case_id=case_id, split=str(dataset.split[row]), z=int(dataset.slice_index[row]),
                label=int(dataset.labels[row]), prediction=int(predictions[k]),
                probability_hgg=float(probabilities[k]), score=float(scores[k]),
                fractions=region_fractions(positive[k], tumour, brain, parts), components=tuple(found)))
        if progress is not None:
            progress(min(start + len(part), len(rows)), len(rows), str(dataset.case_ids[part[-1]]))
    return out


def rank_entries(reviews: list[SliceReview],
                 baseline: Mapping[str, SliceReview] | None = None) -> tuple[QueueEntry, ...]:
    """The queue: ``reviews`` as :class:`QueueEntry` rows ranked by priority (rank 1 first).

    ``baseline`` maps entry keys to the same slices scored by another run; slices it
    lacks keep ``score_before`` / ``outside_before`` None.
    """
    entries = []
    for r in reviews:
        before = baseline.get(r.key) if baseline is not None else None
        correct = r.prediction == r.label
        entries.append(QueueEntry(
            rank=0, key=r.key, case_id=r.case_id, split=r.split, z=r.z, label=GRADES[r.label],
            prediction=GRADES[r.prediction], probability_hgg=r.probability_hgg,
            confidence=r.confidence, correct=correct, score=r.score,
            outside_fraction=r.fractions.outside, edge_fraction=r.fractions.edge,
            background_fraction=r.fractions.background, components=r.components,
            priority=priority(focused_share(c.mass_fraction for c in r.components), r.confidence, correct),
            score_before=None if before is None else before.score,
            outside_before=None if before is None else before.fractions.outside))
    cases = case_priorities((e.case_id, e.priority) for e in entries)
    entries.sort(key=lambda e: queue_order(e.priority, e.case_id, e.z, cases[e.case_id]))
    return tuple(replace(e, rank=i + 1) for i, e in enumerate(entries))
