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
    ml = voxel_ml(affine)
    if original is None:
        now = label_counts(corrected, labels)
        rows = [LabelRow(label, None, now[label], None, now[label] * ml, None) for label in labels]
        whole = sum(now.values())
        return [*rows, LabelRow(0, None, whole, None, whole * ml, None)]
    table = confusion(original, corrected)
    rows = []
    for label in labels:
        was, now_count = int(table[label, :].sum()), int(table[:, label].sum())
        both = int(table[label, label])
        rows.append(LabelRow(label, was, now_count, was * ml, now_count * ml,
                             _dice_from(both, was + now_count)))
    was = int(table[1:, :].sum())
    now_count = int(table[:, 1:].sum())
    both = int(table[1:, 1:].sum())
    rows.append(LabelRow(0, was, now_count, was * ml, now_count * ml, _dice_from(both, was + now_count)))
    return rows


def confusion(original: np.ndarray, corrected: np.ndarray) -> np.ndarray:
    """``table[i, j]``: voxels labelled ``i`` in ``original`` and ``j`` in ``corrected``.

    Only voxels that are tumour in either mask are counted one by one (a joint histogram
    of those); all the others are background in both. A full BraTS volume takes a few tens
    of milliseconds, short enough to recount between two edits.
    """
    _same_shape(original, corrected)
    either = np.flatnonzero(np.asarray(original).reshape(-1) | np.asarray(corrected).reshape(-1))
    was = np.asarray(original).reshape(-1)[either].astype(np.intp)
    now = np.asarray(corrected).reshape(-1)[either].astype(np.intp)
    size = int(max(int(was.max(initial=0)), int(now.max(initial=0)), max(TUMOUR_LABELS))) + 1
    table = np.bincount(was * size + now, minlength=size * size).reshape(size, size)
    table[0, 0] += original.size - either.size
    return table


def _dice_from(both: int, total: int) -> float:
    return 1.0 if total == 0 else 2.0 * both / total


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise GeometryMismatchError("original and corrected masks differ in shape", None,
                                    expected=a.shape, actual=b.shape)
