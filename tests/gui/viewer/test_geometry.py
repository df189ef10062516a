"""Plane mapping: every screen pixel shows the right voxel, and the edge letters are right."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from nibabel.orientations import aff2axcodes

from lrpstudio.gui.viewer.geometry import PLANES, plane_mapping, voxel_zooms


def _affines() -> list[np.ndarray]:
    """RAS, LPS (ITK-style), a permuted axis order, anisotropic spacing and a slight tilt."""
    ras = np.diag([1.0, 1.0, 1.0, 1.0])
    lps = np.diag([-1.0, -1.0, 1.0, 1.0])
    permuted = np.array([[0, 0, -2.0, 0], [1.0, 0, 0, 0], [0, -1.5, 0, 0], [0, 0, 0, 1]])
    theta = 0.2
    tilt = np.eye(4)
    tilt[:3, :3] = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0],
                             [0, 0, 1]]) @ np.diag([0.9, 1.1, 3.0])
    return [ras, lps, permuted, tilt]


#: Radiological convention: world direction (RAS unit vector) of screen right and screen up.
_EXPECTED = {
    "axial": ((-1, 0, 0), (0, 1, 0), "L", "A"),
    "coronal": ((-1, 0, 0), (0, 0, 1), "L", "S"),
    "sagittal": ((0, -1, 0), (0, 0, 1), "P", "S"),
}


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("plane", PLANES)
def test_screen_directions_follow_the_convention(index: int, plane: str) -> None:
    affine = _affines()[index]
    shape = (7, 6, 5)
    m = plane_mapping(affine, plane)
    right_dir, up_dir, right_label, top_label = _EXPECTED[plane]
    centre = tuple(n // 2 for n in shape)
    sx, sy = m.to_screen(centre, shape)
    here = affine[:3, :3] @ np.array(centre, float)
    right = affine[:3, :3] @ np.array(m.to_voxel(sx + 1, sy, centre[m.slice_axis], shape), float)
    up = affine[:3, :3] @ np.array(m.to_voxel(sx, sy + 1, centre[m.slice_axis], shape), float)
    # Moving one pixel right/up moves mostly along the expected world direction.
    step_r, step_u = right - here, up - here
    assert np.dot(step_r, right_dir) > 0.8 * np.linalg.norm(step_r)
    assert np.dot(step_u, up_dir) > 0.8 * np.linalg.norm(step_u)
    assert m.labels["right"] == right_label and m.labels["top"] == top_label
    opposite = {"L": "R", "P": "A", "A": "P", "S": "I"}
    assert m.labels["left"] == opposite[right_label]
    assert m.labels["bottom"] == opposite[top_label]
    # The labels agree with nibabel's axis codes of the voxel axis on screen.
    codes = aff2axcodes(affine)
    assert (codes[m.x_axis] == m.labels["right"]) != m.x_flip


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("plane", PLANES)
def test_extract_and_coordinates_agree_with_a_slow_reference(index: int, plane: str) -> None:
    affine = _affines()[index]
    rng = np.random.default_rng(index)
    volume = rng.integers(0, 1000, size=(5, 4, 3))
    m = plane_mapping(affine, plane)
    for slice_index in range(volume.shape[m.slice_axis]):
        image = m.extract(volume, slice_index)
        for voxel in itertools.product(*(range(n) for n in volume.shape)):
            if voxel[m.slice_axis] != slice_index:
                continue
            sx, sy = m.to_screen(voxel, volume.shape)
            assert image[int(sx), int(sy)] == volume[voxel]
            assert m.to_voxel(sx, sy, slice_index, volume.shape) == voxel
    assert m.to_voxel(-0.5, 0.5, 0, volume.shape) is None


def test_zooms_from_affine() -> None:
    np.testing.assert_allclose(voxel_zooms(_affines()[2]), (1.0, 1.5, 2.0))
