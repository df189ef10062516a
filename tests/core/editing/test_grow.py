"""Seeded region growing: the range from the seed's neighbourhood, the grown region against a BFS."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.fill import flood_fill
from lrpstudio.core.editing.grow import grow_region, seed_range
from lrpstudio.core.editing.rules import WritePolicy
from lrpstudio.core.editing.session import EditSession

from .reference import FACE_3D, bfs_component

SHAPE = (16, 14, 10)


def _intensity(seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).normal(100.0, 20.0, SHAPE)


def test_seed_range_is_mean_plus_minus_k_sd_of_the_neighbourhood() -> None:
    intensity = _intensity()
    seed = (5, 6, 4)
    low, high = seed_range(intensity, seed, "axial", k=1.5)
    patch = intensity[4:7, 5:8, 4]
    assert low == pytest.approx(min(patch.mean() - 1.5 * patch.std(), intensity[seed]))
    assert high == pytest.approx(max(patch.mean() + 1.5 * patch.std(), intensity[seed]))
    cube = intensity[4:7, 5:8, 3:6]
    assert seed_range(intensity, seed, None, k=1.0)[1] == pytest.approx(
        max(cube.mean() + cube.std(), intensity[seed]))
    # At the edge the neighbourhood is cut; a flat patch still holds the seed.
    flat = np.full(SHAPE, 7.0)
    assert seed_range(flat, (0, 0, 0), "axial") == (7.0, 7.0)


@pytest.mark.parametrize("plane", [None, "axial", "coronal", "sagittal"])
def test_grown_region_matches_bfs_within_the_range(plane) -> None:
    intensity = _intensity(4)
    seg = np.zeros(SHAPE, np.uint8)
    seg[::3] = 2  # another label in the way: protected by the rule
    seed = (7, 6, 5)
    low, high = float(intensity[seed]) - 25.0, float(intensity[seed]) + 15.0
    policy = WritePolicy(active_label=1, paint_over="protect_others")
    change = grow_region(seg, seed, policy, intensity, high, low, plane=plane)  # swapped bounds
    normal = {"sagittal": 0, "coronal": 1, "axial": 2}.get(plane or "")
    comp = bfs_component(lambda q: low <= intensity[q] <= high and (normal is None or q[normal] == seed[normal]),
                         seed, SHAPE, FACE_3D)
    expected = seg.copy()
    for q in comp:
        if seg[q] == 0:
            expected[q] = 1
    got = seg.copy()
    apply_change(got, change)
    np.testing.assert_array_equal(got, expected)
    assert len(comp) > 1


def test_a_range_without_the_seed_grows_nothing() -> None:
    intensity = _intensity()
    seg = np.zeros(SHAPE, np.uint8)
    seed = (3, 3, 3)
    value = float(intensity[seed])
    assert grow_region(seg, seed, WritePolicy(), intensity, value + 1, value + 50).size == 0


def test_intensity_tolerance_is_the_range_around_the_seed() -> None:
    intensity = np.round(_intensity(6))  # integers: no rounding at the range's edges
    seg = np.zeros(SHAPE, np.uint8)
    seed = (8, 7, 5)
    by_tolerance = flood_fill(seg, seed, WritePolicy(), plane=None, criterion="intensity",
                              tolerance=12.0, intensity=intensity)
    value = float(intensity[seed])
    by_range = grow_region(seg, seed, WritePolicy(), intensity, value - 12, value + 12, plane=None)
    np.testing.assert_array_equal(np.sort(by_tolerance.indices), np.sort(by_range.indices))


def test_session_grow_region_defaults_and_undo() -> None:
    intensity = np.zeros(SHAPE)
    intensity[4:10, 4:10, :] = 50.0  # a bright block in a dark volume
    session = EditSession(np.zeros(SHAPE, np.uint8), images={"t1": intensity})
    session.set_active_label(2)
    assert session.seed_range((6, 6, 5), modality="t1") == (50.0, 50.0)
    step = session.grow_region((6, 6, 5), modality="t1")  # 2D: the block's slice
    assert step is not None and step.name == "grow region"
    assert session.seg.sum() == 36 * 2
    session.undo()
    step = session.grow_region((6, 6, 5), 40.0, 60.0, plane=None, modality="t1")
    assert int((session.seg == 2).sum()) == 36 * SHAPE[2]
    session.undo()
    assert not session.seg.any()
