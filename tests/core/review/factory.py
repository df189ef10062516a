"""Hand-made scored slices for the queue's ranking and summaries (no model involved)."""

from __future__ import annotations

from lrpstudio.core.review.outside import OutsideComponent, RegionFractions
from lrpstudio.core.review.queue import SliceReview


def blob(mass: float, where: str = "inside brain") -> OutsideComponent:
    """One outside component holding ``mass`` of the slice's positive relevance."""
    return OutsideComponent(index=0, where=where, mass_fraction=mass, pixels=10, voxels=40,
                            centroid_ij=(1.0, 1.0))


def slice_review(case: str, z: int, outside: float, *, score: float = 0.5, correct: bool = True,
                 label: int = 1, blobs: tuple[float, ...] | None = None, split: str = "val") -> SliceReview:
    """A scored slice whose outside share is ``outside`` (half on the brain edge, a quarter each
    inside the brain and on the background), lying in ``blobs`` (default: one blob holding all
    of it); predicted right with confidence 0.9 unless ``correct`` is False."""
    prediction = label if correct else 1 - label
    return SliceReview(case_id=case, split=split, z=z, label=label, prediction=prediction,
                       probability_hgg=0.9 if prediction == 1 else 0.1, score=score,
                       fractions=RegionFractions(1.0 - outside, outside / 2, outside / 4, outside / 4, 1.0),
                       components=tuple(blob(m) for m in (blobs if blobs is not None else (outside,))))
