"""Flood fill and fill holes against pure-Python BFS references."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.fill import fill_holes, flood_fill
from lrpstudio.core.editing.rules import WritePolicy

from .reference import FACE_3D, bfs_component, holes

SHAPE = (14, 12, 8)


def _blobby(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(SHAPE) < 0.45).astype(np.uint8) * rng.integers(1, 4, SHAPE).astype(np.uint8)


@pytest.mark.parametrize("plane", [None, "axial", "coronal", "sagittal"])
def test_flood_fill_by_label_matches_bfs(plane: str | None) -> None:
    seg = _blobby(4)
    seed = (7, 6, 4)
    change = flood_fill(seg, seed, WritePolicy(active_label=3), plane=plane)  # type: ignore[arg-type]
    normal = {"sagittal": 0, "coronal": 1, "axial": 2}.get(plane or "", None)
    value = seg[seed]
    comp = bfs_component(lambda q: seg[q] == value and (normal is None or q[normal] == seed[normal]),
                         seed, SHAPE, FACE_3D)
    expected = seg.copy()
    for q in comp:
        expected[q] = 3
    got = seg.copy()
    apply_change(got, change)
    np.testing.assert_array_equal(got, expected)


def test_flood_fill_by_intensity_with_tolerance_and_rule() -> None:
    rng = np.random.default_rng(5)
    intensity = rng.normal(50, 10, SHAPE)
    seg = _blobby(6)
    seed = (3, 3, 3)
    policy = WritePolicy(active_label=1, paint_over="background_only")
    change = flood_fill(seg, seed, policy, plane=None, criterion="intensity", tolerance=8.0,
                        intensity=intensity)
    comp = bfs_component(lambda q: abs(intensity[q] - intensity[seed]) <= 8.0, seed, SHAPE, FACE_3D)
    expected = seg.copy()
    for q in comp:
        if seg[q] == 0:
            expected[q] = 1
    got = seg.copy()
    apply_change(got, change)
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError):
        flood_fill(seg, (99, 0, 0), policy)


@pytest.mark.parametrize("plane, index", [(None, None), ("axial", 4), ("axial", None), ("coronal", None)])
def test_fill_holes_matches_reference(plane: str | None, index: int | None) -> None:
    rng = np.random.default_rng(7)
    seg = (rng.random(SHAPE) < 0.6).astype(np.uint8) * 2
    policy = WritePolicy(active_label=2)
    got = seg.copy()
    apply_change(got, fill_holes(seg, policy, plane=plane, index=index))  # type: ignore[arg-type]
    expected = seg.copy()
    layer = seg == 2
    if plane is None:
        expected[holes(layer)] = 2
    else:
        axis = {"sagittal": 0, "coronal": 1, "axial": 2}[plane]
        for k in ([index] if index is not None else range(SHAPE[axis])):
            sl = [slice(None)] * 3
            sl[axis] = k
            sub = expected[tuple(sl)]
            sub[holes(layer[tuple(sl)])] = 2
    np.testing.assert_array_equal(got, expected)
    assert (got != seg).any()  # the random volume has holes: the test exercises something


def test_fill_holes_respects_other_labels() -> None:
    # An enhancing ring (3) around a necrotic core (1) with one background hole.
    seg = np.zeros((9, 9, 1), np.uint8)
    seg[1:8, 1:8] = 3
    seg[3:6, 3:6] = 1
    seg[2, 2] = 0
    protected = seg.copy()
    apply_change(protected, fill_holes(seg, WritePolicy(active_label=3, paint_over="background_only"),
                                       plane="axial", index=0))
    assert protected[2, 2, 0] == 3 and (protected[3:6, 3:6] == 1).all()
    overwrite = seg.copy()
    apply_change(overwrite, fill_holes(seg, WritePolicy(active_label=3, paint_over="everything"),
                                       plane="axial", index=0))
    assert (overwrite[1:8, 1:8] == 3).all()
    # In 3D a one-slice volume has no enclosed holes: every voxel touches the border.
    assert fill_holes(seg, WritePolicy(active_label=3, paint_over="everything")).size == 0
