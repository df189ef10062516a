"""Brush footprints against a voxel-by-voxel reference, including anisotropic spacing."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.footprint import (FootprintSpec, brush_footprint, cursor_footprint,
                                              outline_segments, plane_axes, radii_in_voxels,
                                              spacing_from_affine)

from .reference import ellipsoid


@pytest.mark.parametrize("spec, spacing", [
    (FootprintSpec(3.0, "disc", "axial"), (1.0, 1.0, 1.0)),
    (FootprintSpec(2.5, "disc", "coronal"), (1.0, 1.0, 1.0)),
    (FootprintSpec(4.0, "disc", "sagittal"), (0.5, 1.0, 2.0)),
    (FootprintSpec(3.0, "ball"), (1.0, 1.0, 3.0)),
    (FootprintSpec(2.0, "ball", unit="mm"), (0.7, 1.0, 1.3)),
    (FootprintSpec(0.0, "ball"), (1.0, 1.0, 1.0)),
])
def test_footprint_matches_voxel_loop(spec: FootprintSpec, spacing: tuple[float, float, float]) -> None:
    fp = brush_footprint(spec, spacing)
    assert all(n % 2 == 1 for n in fp.shape)
    radii_mm = radii_in_voxels(spec.radius, spacing, spec.unit) * np.asarray(spacing)
    flat = {"axial": 2, "coronal": 1, "sagittal": 0}[spec.plane] if spec.shape == "disc" else None
    big = tuple(n + 4 for n in fp.shape)
    center = tuple(n // 2 for n in big)
    expected = ellipsoid(big, center, radii_mm, spacing, flat)
    got = np.zeros(big, bool)
    got[tuple(slice(c - n // 2, c + n // 2 + 1) for c, n in zip(center, fp.shape))] = fp
    np.testing.assert_array_equal(got, expected)


def test_anisotropic_radius_is_physical() -> None:
    radii = radii_in_voxels(6, (1.0, 1.0, 3.0))
    np.testing.assert_allclose(radii, [6, 6, 2])
    np.testing.assert_allclose(radii_in_voxels(6, (2.0, 2.0, 3.0), unit="mm"), [3, 3, 2])
    fp = brush_footprint(FootprintSpec(6, "ball"), (1.0, 1.0, 3.0))
    assert fp.shape == (13, 13, 5)
    with pytest.raises(ValueError):
        radii_in_voxels(2, (1.0, 0.0, 1.0))


def test_cursor_is_the_section_in_the_display_plane() -> None:
    spec = FootprintSpec(3, "ball")
    spacing = (1.0, 1.0, 2.0)
    ball = brush_footprint(spec, spacing)
    for plane, axis in (("axial", 2), ("coronal", 1), ("sagittal", 0)):
        cursor = cursor_footprint(spec, spacing, plane)
        np.testing.assert_array_equal(cursor, np.take(ball, ball.shape[axis] // 2, axis=axis))
        assert cursor.shape == tuple(ball.shape[a] for a in plane_axes(plane))
    # An axial disc seen from the coronal plane is a one-voxel line.
    line = cursor_footprint(FootprintSpec(3, "disc", "axial"), (1.0, 1.0, 1.0), "coronal")
    assert line.shape == (7, 1) and line.all()


def test_outline_segments_count_boundary_edges() -> None:
    mask = np.zeros((5, 5), bool)
    mask[1:3, 1:4] = True  # 2 x 3 rectangle: perimeter 10 edges
    segs = outline_segments(mask)
    assert segs.shape == (10, 2, 2)
    assert segs.min() == 1 and segs[..., 0].max() == 3 and segs[..., 1].max() == 4
    # every edge is unit length and axis aligned
    lengths = np.abs(segs[:, 1] - segs[:, 0]).sum(1)
    np.testing.assert_array_equal(lengths, 1)


def test_spacing_from_affine_reads_column_norms() -> None:
    affine = np.diag([-1.0, -1.0, 2.5, 1.0])
    affine[:3, :3] = affine[:3, :3] @ np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert spacing_from_affine(affine) == (1.0, 1.0, 2.5)
