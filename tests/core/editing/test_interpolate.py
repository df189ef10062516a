"""Shape-based interpolation against a brute-force signed distance, and its preview in a session."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.interpolate import interpolate_between, signed_distance
from lrpstudio.core.editing.rules import WritePolicy
from lrpstudio.core.editing.session import EditSession
from lrpstudio.core.errors import EditingError

from .reference import brute_signed_distance


def _disc(shape2d: tuple[int, int], center: tuple[float, float], radius: float) -> np.ndarray:
    x, y = np.ogrid[:shape2d[0], :shape2d[1]]
    return (x - center[0]) ** 2 + (y - center[1]) ** 2 <= radius ** 2


def test_signed_distance_matches_brute_force() -> None:
    rng = np.random.default_rng(9)
    mask = rng.random((9, 7)) < 0.4
    for sampling in ((1.0, 1.0), (0.8, 1.7)):
        np.testing.assert_allclose(signed_distance(mask, sampling), brute_signed_distance(mask, sampling),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (1.0, 1.5, 2.0)])
def test_interpolation_matches_reference_definition(spacing: tuple[float, float, float]) -> None:
    shape = (20, 18, 9)
    seg = np.zeros(shape, np.uint8)
    seg[:, :, 1] = _disc(shape[:2], (8, 8), 3) * 2
    seg[:, :, 7] = _disc(shape[:2], (11, 9), 6) * 2
    seg[2, 2, 7] = 1  # another label: never a key of label 2
    change = interpolate_between(seg, WritePolicy(active_label=2), axis=2, spacing=spacing)
    got = seg.copy()
    apply_change(got, change)
    sd1 = brute_signed_distance(seg[:, :, 1] == 2, spacing[:2])
    sd7 = brute_signed_distance(seg[:, :, 7] == 2, spacing[:2])
    expected = seg.copy()
    for k in range(2, 7):
        t = (k - 1) / 6
        expected[:, :, k][((1 - t) * sd1 + t * sd7) <= 0] = 2
    np.testing.assert_array_equal(got, expected)
    # half way, the area lies between the two discs' areas
    areas = [(got[:, :, k] == 2).sum() for k in range(1, 8)]
    assert areas == sorted(areas) and areas[0] < areas[3] < areas[-1]


def test_explicit_key_slices_and_other_axis() -> None:
    seg = np.zeros((10, 12, 12), np.uint8)
    seg[2, 3:9, 3:9] = 3
    seg[8, 4:8, 4:8] = 3
    seg[5, 0, 0] = 3  # a stray voxel would be a key slice unless the keys are given
    change = interpolate_between(seg, WritePolicy(active_label=3), axis=0, key_slices=[2, 8, 9])
    got = seg.copy()
    apply_change(got, change)
    for k in range(3, 8):
        assert (got[k] == 3).sum() >= 16
    assert change.size > 0 and set(np.unravel_index(change.indices, seg.shape)[0]) == set(range(3, 8))


def test_session_preview_apply_discard_and_stale() -> None:
    seg = np.zeros((16, 16, 6), np.uint8)
    seg[4:10, 4:10, 0] = 1
    seg[5:9, 5:9, 5] = 1
    session = EditSession(seg)
    preview = session.preview_interpolation("axial")
    assert preview.change.size > 0 and preview.box is not None and preview.box[2] == (1, 5)
    np.testing.assert_array_equal(session.seg, seg)  # a preview changes nothing
    assert preview.mask(session.shape).sum() == preview.change.size
    step = session.apply_preview(preview)
    assert step is not None and session.seg[6, 6, 2] == 1
    session.undo()
    np.testing.assert_array_equal(session.seg, seg)
    stale = session.preview_interpolation("axial")
    session.paint((0, 0, 0))
    with pytest.raises(EditingError):
        session.apply_preview(stale)
