"""Per-label statistics of a segmentation and of an original/corrected pair.

Pure numpy: voxel counts, volumes in millilitres (from the affine's voxel volume), Dice
per label between two masks, and a difference map that says, voxel by voxel, whether a
correction added tumour, removed it or changed its label. The viewer's label table and
compare mode show these; the numbers are computed here so they can be tested on
hand-made arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lrpstudio.core.errors import GeometryMismatchError

#: Difference-map codes (uint8): unchanged, tumour added, tumour removed, label changed.
SAME, ADDED, REMOVED, RELABELLED = 0, 1, 2, 3
#: Canonical tumour labels (1 core, 2 oedema, 3 enhancing).
TUMOUR_LABELS: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class LabelRow:
    """One label of the table: original and corrected side by side.

    Attributes
    ----------
    label
        The canonical label value.
    voxels_original, voxels_corrected
        Voxel counts (``voxels_original`` is None when there is no original mask).
    ml_original, ml_corrected
        The same as volumes in millilitres.
    dice
        Dice overlap of the label between the two masks (1.0 when both lack it; None
        without an original).
    """

    label: int
    voxels_original: int | None
    voxels_corrected: int
    ml_original: float | None
    ml_corrected: float
    dice: float | None


def voxel_ml(affine: np.ndarray) -> float:
    """Volume of one voxel in millilitres: ``|det(affine[:3, :3])|`` mm³ / 1000."""
    return float(abs(np.linalg.det(np.asarray(affine, dtype=float)[:3, :3]))) / 1000.0


def label_counts(seg: np.ndarray, labels: Sequence[int] = TUMOUR_LABELS) -> dict[int, int]:
    """Voxels per label (labels absent from ``seg`` count 0)."""
    counts = np.bincount(np.asarray(seg).reshape(-1).astype(np.intp, copy=False),
                         minlength=max(labels) + 1)
    return {int(label): int(counts[label]) for label in labels}


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap ``2|A∩B| / (|A|+|B|)`` of two boolean masks; 1.0 when both are empty."""
    total = int(np.count_nonzero(a)) + int(np.count_nonzero(b))
    if total == 0:
        return 1.0
    return 2.0 * int(np.count_nonzero(a & b)) / total


def dice_per_label(original: np.ndarray, corrected: np.ndarray,
                   labels: Sequence[int] = TUMOUR_LABELS) -> dict[int, float]:
    """Dice of every label between two label maps of one grid.

    Raises
    ------
    GeometryMismatchError
        The two masks differ in shape.
    """
    _same_shape(original, corrected)
    return {int(label): dice(original == label, corrected == label) for label in labels}


def difference_map(original: np.ndarray, corrected: np.ndarray) -> np.ndarray:
    """Per voxel: :data:`SAME`, :data:`ADDED` (background became tumour), :data:`REMOVED`
    (tumour became background) or :data:`RELABELLED` (one tumour label became another).

    Works on a volume or on one slice of each (the viewer passes slices).
    """
    _same_shape(original, corrected)
    was, now = original > 0, corrected > 0
    codes = np.zeros(original.shape, dtype=np.uint8)
    codes[now & ~was] = ADDED
    codes[was & ~now] = REMOVED
    codes[was & now & (original != corrected)] = RELABELLED
    return codes


def label_table(corrected: np.ndarray, original: np.ndarray | None, affine: np.ndarray,
                labels: Sequence[int] = TUMOUR_LABELS) -> list[LabelRow]:
    """One :class:`LabelRow` per label, plus a whole-tumour row (label 0 = all tumour labels).

    Parameters
    ----------
    corrected
        The mask as it is now (the workspace correction or the current edit).
    original
        The mask as it is in the data folder, or None when there is none.
    affine
        The grid's affine; its voxel volume turns counts into millilitres.
    """
    if original is not None:
        _same_shape(original, corrected)
    ml = voxel_ml(affine)
    now = label_counts(corrected, labels)
    was = label_counts(original, labels) if original is not None else None
    scores = dice_per_label(original, corrected, labels) if original is not None else None
    rows = [LabelRow(label, None if was is None else was[label], now[label],
                     None if was is None else was[label] * ml, now[label] * ml,
                     None if scores is None else scores[label]) for label in labels]
    whole_now = sum(now.values())
    whole_was = None if was is None else sum(was.values())
    whole_dice = None if original is None else dice(original > 0, corrected > 0)
    rows.append(LabelRow(0, whole_was, whole_now, None if whole_was is None else whole_was * ml,
                         whole_now * ml, whole_dice))
    return rows


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise GeometryMismatchError("original and corrected masks differ in shape", None,
                                    expected=a.shape, actual=b.shape)
