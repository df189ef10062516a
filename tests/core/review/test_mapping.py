"""The prepared grid <-> axial plane mapping: exact adjoint, planted patterns, masks."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.data.slicing import axial_slices, slices_at
from lrpstudio.core.errors import InputError
from lrpstudio.core.review.mapping import (plane_mask_to_prepared, plane_to_prepared,
                                          prepared_mask_to_plane, prepared_to_plane)


@pytest.mark.parametrize("plane_shape,size", [((12, 12), 6), ((10, 14), 7), ((15, 9), 4), ((9, 9), 9)])
def test_back_map_is_the_exact_adjoint_of_the_forward_map(plane_shape, size):
    rng = np.random.default_rng(0)
    plane = rng.normal(size=plane_shape)
    prepared = rng.normal(size=(size, size))
    forward = plane_to_prepared(plane, size)
    back = prepared_to_plane(prepared, plane_shape, conserve="mass")
    assert back.shape == plane_shape
    assert np.isclose((forward * prepared).sum(), (plane * back).sum(), rtol=1e-12, atol=1e-12)


def test_mass_is_kept_when_nothing_falls_into_the_padding():
    rng = np.random.default_rng(1)
    prepared = rng.random((8, 8))
    assert np.isclose(prepared_to_plane(prepared, (16, 16), "mass").sum(), prepared.sum())


def test_a_planted_pixel_lands_on_its_known_voxels():
    # Plane (I, J) = (20, 12): transposed (12, 20), padded to 20 x 20 with 4 rows on top;
    # 20 -> 10 halves each axis, so prepared pixel (r, c) covers padded rows 2r..2r+1 and
    # columns 2c..2c+1, i.e. voxels i = 2c..2c+1, j = 2r-4..2r-3.
    prepared = np.zeros((10, 10))
    prepared[5, 3] = 4.0
    density = prepared_to_plane(prepared, (20, 12))
    hits = np.argwhere(density > 0)
    assert sorted(map(tuple, hits)) == [(6, 6), (6, 7), (7, 6), (7, 7)]
    assert np.allclose(density[6:8, 6:8], 4.0)
    assert np.isclose(prepared_to_plane(prepared, (20, 12), "mass").sum(), 4.0)


def test_density_matches_what_the_dataset_preparation_puts_on_the_grid():
    # A planted bright block in the volume: the dataset's own preparation puts it on the
    # grid, and the back-mapped grid is bright exactly over the block's voxels.
    shape = (24, 16, 5)
    volume = np.zeros(shape, np.float32)
    volume[4:8, 6:10, 2] = 1.0
    brain = np.ones(shape, bool)
    seg = np.zeros(shape, np.uint8)
    seg[4:8, 6:10, 2] = 2
    prepared = slices_at([volume], seg, brain, np.array([2]), 12)
    block = prepared.tumor_masks[0]
    back = prepared_mask_to_plane(block, shape[:2])
    assert np.array_equal(back, seg[:, :, 2] > 0)
    assert np.array_equal(plane_mask_to_prepared(seg[:, :, 2] > 0, 12), block)
    assert np.array_equal(axial_slices(seg, np.array([2]))[0].T > 0, back)


def test_channels_are_summed_and_bad_shapes_are_refused():
    maps = np.ones((3, 4, 4))
    assert np.allclose(prepared_to_plane(maps, (4, 4)), 3.0)
    with pytest.raises(InputError):
        prepared_to_plane(np.ones((4, 5)), (4, 5))
    with pytest.raises(ValueError):
        prepared_to_plane(np.ones((4, 4)), (4, 4), conserve="sum")  # type: ignore[arg-type]
