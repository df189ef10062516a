"""Label statistics on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.label_stats import (
    ADDED,
    RELABELLED,
    REMOVED,
    SAME,
    dice,
    dice_per_label,
    difference_map,
    label_counts,
    label_table,
    voxel_ml,
)
from lrpstudio.core.errors import GeometryMismatchError


def test_voxel_ml_from_the_affine() -> None:
    affine = np.diag([2.0, -1.0, 1.5, 1.0])  # 3 mm³ per voxel, a flipped axis
    assert voxel_ml(affine) == pytest.approx(0.003)


def test_counts_and_dice() -> None:
    a = np.zeros((4, 4, 2), np.uint8)
    b = np.zeros_like(a)
    a[0, :2, 0] = 1      # 2 voxels of label 1
    b[0, :1, 0] = 1      # 1 of them kept
    a[3, 3, 1] = 3
    assert label_counts(a) == {1: 2, 2: 0, 3: 1}
    scores = dice_per_label(a, b)
    assert scores[1] == pytest.approx(2 * 1 / 3)
    assert scores[2] == 1.0          # absent from both
    assert scores[3] == 0.0          # removed entirely
    assert dice(np.zeros(3, bool), np.zeros(3, bool)) == 1.0


def test_difference_map_codes() -> None:
    original = np.array([0, 1, 2, 0, 3])
    corrected = np.array([1, 0, 3, 0, 3])
    assert difference_map(original, corrected).tolist() == [ADDED, REMOVED, RELABELLED, SAME, SAME]


def test_table_side_by_side_in_ml() -> None:
    original = np.zeros((10, 10, 10), np.uint8)
    original[:5, :, :] = 2            # 500 voxels of oedema
    corrected = original.copy()
    corrected[:5, :5, :] = 1          # half of it relabelled as core
    rows = {row.label: row for row in label_table(corrected, original, np.diag([2, 2, 2, 1.0]))}
    assert rows[2].voxels_original == 500 and rows[2].voxels_corrected == 250
    assert rows[2].ml_original == pytest.approx(4.0) and rows[2].ml_corrected == pytest.approx(2.0)
    assert rows[1].dice == 0.0 and rows[2].dice == pytest.approx(2 * 250 / 750)
    assert rows[0].voxels_corrected == 500 and rows[0].dice == 1.0  # whole tumour unchanged


def test_table_without_original() -> None:
    corrected = np.ones((2, 2, 2), np.uint8)
    rows = label_table(corrected, None, np.eye(4))
    assert rows[0].voxels_original is None and rows[0].dice is None
    assert rows[0].voxels_corrected == 8 and rows[0].ml_corrected == pytest.approx(0.008)


def test_shape_mismatch_is_typed() -> None:
    with pytest.raises(GeometryMismatchError):
        dice_per_label(np.zeros((2, 2, 2)), np.zeros((2, 2, 3)))


def test_confusion_and_table_agree_with_per_label_counting() -> None:
    from lrpstudio.core.editing.label_stats import confusion

    rng = np.random.default_rng(4)
    original = rng.choice([0, 0, 0, 1, 2, 3], size=(9, 8, 7)).astype(np.uint8)
    corrected = original.copy()
    corrected[rng.random(original.shape) < 0.2] = rng.integers(0, 4)
    table = confusion(original, corrected)
    assert table.sum() == original.size
    assert table[2, 3] == int(((original == 2) & (corrected == 3)).sum())
    rows = {row.label: row for row in label_table(corrected, original, np.eye(4))}
    for label in (1, 2, 3):
        assert rows[label].voxels_original == int((original == label).sum())
        assert rows[label].voxels_corrected == int((corrected == label).sum())
        assert rows[label].dice == pytest.approx(dice(original == label, corrected == label))
    assert rows[0].dice == pytest.approx(dice(original > 0, corrected > 0))
