"""Brush footprints: which voxels a dab covers, with anisotropic voxel spacing in mind.

Arrays are in the file's voxel order (X, Y, Z); the axial plane is the one normal to the
third axis. A footprint is a boolean array with odd sizes, centred on its middle voxel;
a 2D footprint (disc) has size 1 along the plane's normal axis.

Radii are physical: a disc of radius 5 "voxels" on a grid of spacing (1, 1, 3) mm spans
5 voxels along X and Y but only 2 along Z (5 mm / 3 mm, rounded down), so the brush stays
round on screen whatever the spacing. A radius in voxels counts voxels of the *finest*
axis; a radius in mm is divided by each axis' spacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping, Sequence

import numpy as np

Plane = Literal["axial", "coronal", "sagittal"]
BrushShape = Literal["disc", "ball"]
RadiusUnit = Literal["voxel", "mm"]

#: The array axis normal to each display plane (file voxel order X, Y, Z).
PLANE_NORMAL: Mapping[str, int] = MappingProxyType({"sagittal": 0, "coronal": 1, "axial": 2})


def plane_axes(plane: Plane) -> tuple[int, int]:
    """The two in-plane array axes of ``plane``, in increasing order (e.g. axial -> (0, 1))."""
    normal = PLANE_NORMAL[plane]
    first, second = (axis for axis in range(3) if axis != normal)
    return first, second


def spacing_from_affine(affine: np.ndarray) -> tuple[float, float, float]:
    """Voxel spacing in mm per array axis: the lengths of the affine's first three columns."""
    matrix = np.asarray(affine, dtype=np.float64)[:3, :3]
    norms = np.linalg.norm(matrix, axis=0)
    return float(norms[0]), float(norms[1]), float(norms[2])


def radii_in_voxels(radius: float, spacing: Sequence[float], unit: RadiusUnit = "voxel") -> np.ndarray:
    """Per-axis radius in voxels (float64) of a physically round brush.

    Parameters
    ----------
    radius
        Brush radius; 0 means a single voxel.
    spacing
        Voxel spacing per axis (mm); must be positive.
    unit
        ``"voxel"``: ``radius`` counts voxels of the finest axis. ``"mm"``: millimetres.
    """
    spacing_arr = np.asarray(spacing, dtype=np.float64)
    if spacing_arr.shape != (3,) or np.any(spacing_arr <= 0):
        raise ValueError(f"spacing must be three positive numbers, got {tuple(spacing)}")
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    radius_mm = radius * spacing_arr.min() if unit == "voxel" else float(radius)
    return radius_mm / spacing_arr


def ellipsoid_footprint(radii: Sequence[float] | np.ndarray, flat_axis: int | None = None) -> np.ndarray:
    """Boolean ellipsoid of the given per-axis radii (voxels), centred in an odd-sized box.

    A voxel whose centre lies at offset ``d`` from the middle voxel is inside when
    ``sum((d / r) ** 2) <= 1`` (axes with radius below one voxel hold only offset 0).
    ``flat_axis`` collapses that axis to size 1 (a 2D disc in the other two axes).
    """
    radii_arr = np.asarray(radii, dtype=np.float64)
    # A tiny epsilon keeps voxels that lie exactly on the boundary (r = 2 includes offset 2).
    half = np.floor(radii_arr + 1e-9).astype(int)
    if flat_axis is not None:
        half[flat_axis] = 0
    grids = np.ogrid[tuple(slice(-h, h + 1) for h in half)]
    total = np.zeros(tuple(2 * h + 1 for h in half), dtype=np.float64)
    for axis, grid in enumerate(grids):
        if half[axis] == 0:
            continue  # offset is 0 along this axis: contributes nothing
        total = total + (grid.astype(np.float64) / radii_arr[axis]) ** 2
    return total <= 1.0 + 1e-9


@dataclass(frozen=True)
class FootprintSpec:
    """What determines a footprint: radius, unit, 2D disc or 3D ball, and the disc's plane."""

    radius: float = 3.0
    shape: BrushShape = "disc"
    plane: Plane = "axial"
    unit: RadiusUnit = "voxel"


def brush_footprint(spec: FootprintSpec, spacing: Sequence[float] = (1.0, 1.0, 1.0)) -> np.ndarray:
    """The 3D boolean footprint of a brush (a disc has size 1 along its plane's normal)."""
    radii = radii_in_voxels(spec.radius, spacing, spec.unit)
    flat_axis = PLANE_NORMAL[spec.plane] if spec.shape == "disc" else None
    return ellipsoid_footprint(radii, flat_axis)


def cursor_footprint(spec: FootprintSpec, spacing: Sequence[float] = (1.0, 1.0, 1.0),
                     plane: Plane | None = None) -> np.ndarray:
    """The brush's cross-section in a display plane, as a 2D boolean array.

    Its axes are the plane's two in-plane array axes in increasing order (axial: X, Y;
    coronal: X, Z; sagittal: Y, Z), centred on the middle element. For a ball this is the
    section through its centre, which is what one dab paints in that plane.
    """
    plane = plane or spec.plane
    radii = radii_in_voxels(spec.radius, spacing, spec.unit)
    if spec.shape == "disc" and plane != spec.plane:
        # A disc seen edge-on from another plane is a line one voxel thick.
        radii = radii.copy()
        radii[PLANE_NORMAL[spec.plane]] = 0.0
    normal = PLANE_NORMAL[plane]
    return ellipsoid_footprint(radii, normal).squeeze(axis=normal)


def outline_segments(mask: np.ndarray) -> np.ndarray:
    """Pixel-edge outline of a 2D mask, for drawing an exact brush cursor.

    Returns
    -------
    ndarray
        ``(K, 2, 2)`` float array of segments ``[[a0, a1], [b0, b1]]`` in pixel-corner
        coordinates of the mask (pixel ``(i, j)`` spans ``[i, i+1] x [j, j+1]``), one per
        edge between an inside and an outside pixel.
    """
    padded = np.pad(np.asarray(mask, dtype=bool), 1)
    segments: list[np.ndarray] = []
    # Edges across axis 0: between padded[i-1, j] and padded[i, j] at corner line i-1.
    diff0 = padded[1:, 1:-1] != padded[:-1, 1:-1]
    i, j = np.nonzero(diff0)
    segments.append(np.stack([np.stack([i, j], 1), np.stack([i, j + 1], 1)], 1))
    diff1 = padded[1:-1, 1:] != padded[1:-1, :-1]
    i, j = np.nonzero(diff1)
    segments.append(np.stack([np.stack([i, j], 1), np.stack([i + 1, j], 1)], 1))
    return np.concatenate(segments).astype(np.float64)
