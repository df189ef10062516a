"""Brush and eraser dabs against a voxel loop; dabs touch only their bounding box."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.brush import BrushSettings, dab, line_centers
from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.footprint import FootprintSpec, brush_footprint
from lrpstudio.core.editing.rules import WritePolicy

from .reference import ellipsoid

SHAPE = (20, 18, 12)


def _random_seg(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, SHAPE).astype(np.uint8)


@pytest.mark.parametrize("center", [(10, 9, 6), (0, 0, 0), (19, 17, 11), (2, 16, 1)])
@pytest.mark.parametrize("shape", ["disc", "ball"])
def test_dab_matches_reference(center: tuple[int, int, int], shape: str) -> None:
    seg = _random_seg(1)
    spacing = (1.0, 1.0, 2.0)
    spec = FootprintSpec(3.0, shape, "axial")  # type: ignore[arg-type]
    policy = WritePolicy(active_label=2, paint_over="protect_others")
    change = dab(seg, center, brush_footprint(spec, spacing), policy)
    assert change is not None
    before = seg.copy()
    apply_change(seg, change)
    region = ellipsoid(SHAPE, center, [3.0, 3.0, 3.0], spacing, 2 if shape == "disc" else None)
    expected = before.copy()
    expected[region & ((before == 0) | (before == 2))] = 2
    np.testing.assert_array_equal(seg, expected)
    # only changed voxels are stored, with their old values
    assert change.size == int((expected != before).sum())
    np.testing.assert_array_equal(change.old, before.ravel()[change.indices])
    assert change.indices.dtype == np.int32 and change.old.dtype == np.uint8


def test_eraser_and_outside_volume() -> None:
    seg = _random_seg(2)
    fp = brush_footprint(FootprintSpec(2.0, "ball"))
    change = dab(seg, (5, 5, 5), fp, WritePolicy(active_label=3, paint_over="protect_others"), erase=True)
    before = seg.copy()
    apply_change(seg, change)
    region = ellipsoid(SHAPE, (5, 5, 5), [2, 2, 2], (1, 1, 1), None)
    expected = before.copy()
    expected[region & (before == 3)] = 0
    np.testing.assert_array_equal(seg, expected)
    assert dab(seg, (-10, 5, 5), fp, WritePolicy()) is None


def test_intensity_limited_dab() -> None:
    seg = np.zeros(SHAPE, np.uint8)
    intensity = np.random.default_rng(3).uniform(0, 100, SHAPE)
    fp = brush_footprint(FootprintSpec(4.0, "disc"))
    policy = WritePolicy(active_label=1, intensity_range=(30.0, 60.0))
    apply_change(seg, dab(seg, (10, 9, 6), fp, policy, intensity=intensity))
    region = ellipsoid(SHAPE, (10, 9, 6), [4, 4, 4], (1, 1, 1), 2)
    np.testing.assert_array_equal(seg == 1, region & (intensity >= 30) & (intensity <= 60))


def test_line_centers_leave_no_gaps() -> None:
    pts = line_centers((0, 0, 5), (20, 7, 5), step=2.0)
    assert pts[-1] == (20, 7, 5) and (0, 0, 5) not in pts
    prev = np.array((0, 0, 5))
    for p in pts:
        assert np.abs(np.array(p) - prev).max() <= 2
        prev = np.array(p)
    assert line_centers((3, 3, 3), (3, 3, 3), 1.0) == [(3, 3, 3)]


def test_brush_settings_resize_and_validate() -> None:
    brush = BrushSettings(radius=1.0)
    assert brush.resized(+2).radius == 3.0 and brush.resized(-5).radius == 0.0
    for bad in ({"shape": "cube"}, {"plane": "oblique"}, {"paint_over": "x"}, {"radius": -1}):
        with pytest.raises(ValueError):
            BrushSettings(**bad)  # type: ignore[arg-type]
