"""How voxel axes map onto the three screen planes, derived from a volume's affine.

lrpstudio displays in the **radiological** convention: the patient's left is on the
screen's right in the axial and coronal views, anterior is up in the axial view and
superior is up in the coronal and sagittal views; the sagittal view has anterior on the
left. Arrays are never resampled: each plane is a strided view of the volume in file
voxel order, transposed and flipped so that it lands on screen the right way round
(the nearest axes of an oblique affine, as ``nibabel.orientations.io_orientation``
finds them). Orientation letters at the screen edges are computed from the affine with
``nibabel.aff2axcodes``, so a wrong mapping would show as a wrong label.

This module is pure numpy (no Qt) so the mapping can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nibabel.orientations import aff2axcodes, io_orientation

#: Display convention shown in the window title / view corner.
DISPLAY_CONVENTION = "radiological"

_OPPOSITE = {"R": "L", "L": "R", "A": "P", "P": "A", "S": "I", "I": "S"}

#: For each plane: (world axis normal to the plane, world axis along screen x and the
#: RAS sign that points to the screen's right, world axis along screen y and the RAS
#: sign that points up). World axes are RAS: 0 = x (+R), 1 = y (+A), 2 = z (+S).
_PLANES: dict[str, tuple[int, tuple[int, int], tuple[int, int]]] = {
    "axial": (2, (0, -1), (1, +1)),     # right of screen = patient left; up = anterior
    "coronal": (1, (0, -1), (2, +1)),   # right of screen = patient left; up = superior
    "sagittal": (0, (1, -1), (2, +1)),  # right of screen = posterior; up = superior
}
PLANES: tuple[str, ...] = ("axial", "coronal", "sagittal")


@dataclass(frozen=True)
class PlaneMapping:
    """Which voxel axes a plane shows and how they are flipped on screen.

    Attributes
    ----------
    plane
        ``"axial"``, ``"coronal"`` or ``"sagittal"``.
    slice_axis
        The voxel axis the plane cuts (the slice index runs along it).
    x_axis, y_axis
        The voxel axes drawn along the screen's x (to the right) and y (up).
    x_flip, y_flip
        True where increasing screen coordinate means decreasing voxel index.
    labels
        Orientation letters at the screen edges: ``{"left", "right", "top", "bottom"}``.
    """

    plane: str
    slice_axis: int
    x_axis: int
    y_axis: int
    x_flip: bool
    y_flip: bool
    labels: dict[str, str]

    def extract(self, volume: np.ndarray, index: int) -> np.ndarray:
        """The plane at ``index`` as a 2D view indexed ``[screen_x, screen_y]`` (y up)."""
        # Basic indexing gives a view (np.take would copy the whole plane slowly).
        key: list[int | slice] = [slice(None)] * 3
        key[self.slice_axis] = int(index)
        plane = volume[tuple(key)]
        # The remaining axes keep their order; find where x and y landed.
        remaining = [a for a in range(3) if a != self.slice_axis]
        if remaining.index(self.x_axis) != 0:
            plane = plane.T
        if self.x_flip:
            plane = plane[::-1, :]
        if self.y_flip:
            plane = plane[:, ::-1]
        return plane

    def to_screen(self, voxel: tuple[int, int, int], shape: tuple[int, ...]) -> tuple[float, float]:
        """Screen (x, y) pixel-centre coordinates of a voxel, in image pixel units."""
        sx = voxel[self.x_axis]
        sy = voxel[self.y_axis]
        if self.x_flip:
            sx = shape[self.x_axis] - 1 - sx
        if self.y_flip:
            sy = shape[self.y_axis] - 1 - sy
        return sx + 0.5, sy + 0.5

    def to_voxel(self, screen_x: float, screen_y: float, index: int,
                 shape: tuple[int, ...]) -> tuple[int, int, int] | None:
        """The voxel under image pixel coordinates, or None outside the volume."""
        ix, iy = int(np.floor(screen_x)), int(np.floor(screen_y))
        nx, ny = shape[self.x_axis], shape[self.y_axis]
        if not (0 <= ix < nx and 0 <= iy < ny):
            return None
        if self.x_flip:
            ix = nx - 1 - ix
        if self.y_flip:
            iy = ny - 1 - iy
        voxel = [0, 0, 0]
        voxel[self.slice_axis] = index
        voxel[self.x_axis] = ix
        voxel[self.y_axis] = iy
        return voxel[0], voxel[1], voxel[2]

    def screen_to_axes(self, screen_x: float, screen_y: float,
                       shape: tuple[int, ...]) -> dict[int, float]:
        """Continuous voxel coordinates (voxel ``i`` spans ``[i, i + 1]``) of a screen point,
        by voxel axis, for the plane's two in-plane axes."""
        u = shape[self.x_axis] - screen_x if self.x_flip else screen_x
        v = shape[self.y_axis] - screen_y if self.y_flip else screen_y
        return {self.x_axis: float(u), self.y_axis: float(v)}

    def axis_to_screen(self, axis: int, coordinate: float, shape: tuple[int, ...]) -> float:
        """The screen coordinate of a continuous voxel coordinate along in-plane ``axis``."""
        flip = self.x_flip if axis == self.x_axis else self.y_flip
        return float(shape[axis] - coordinate) if flip else float(coordinate)

    def pixel_size(self, zooms: tuple[float, float, float]) -> tuple[float, float]:
        """Physical size (mm) of one screen pixel along x and y, for the aspect ratio."""
        return float(zooms[self.x_axis]), float(zooms[self.y_axis])


def plane_mapping(affine: np.ndarray, plane: str) -> PlaneMapping:
    """The mapping of one display plane for a volume with this affine.

    Parameters
    ----------
    affine
        4x4 voxel-to-world (RAS+) matrix of the volume.
    plane
        One of :data:`PLANES`.

    Returns
    -------
    PlaneMapping
        Axes, flips and edge labels for the plane.
    """
    if plane not in _PLANES:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    ornt = io_orientation(np.asarray(affine, dtype=float))  # per voxel axis: (world axis, ±1)
    world_to_voxel = {int(ornt[v, 0]): v for v in range(3)}
    normal, (wx, sign_x), (wy, sign_y) = _PLANES[plane]
    x_axis, y_axis = world_to_voxel[wx], world_to_voxel[wy]
    # Increasing voxel index moves towards RAS sign ornt[v,1]; flip where that is not
    # the direction the convention wants on screen.
    x_flip = int(ornt[x_axis, 1]) != sign_x
    y_flip = int(ornt[y_axis, 1]) != sign_y
    codes = aff2axcodes(np.asarray(affine, dtype=float))  # direction of +index per voxel axis
    right = codes[x_axis] if not x_flip else _OPPOSITE[codes[x_axis]]
    top = codes[y_axis] if not y_flip else _OPPOSITE[codes[y_axis]]
    labels = {"right": right, "left": _OPPOSITE[right], "top": top, "bottom": _OPPOSITE[top]}
    return PlaneMapping(plane, world_to_voxel[normal], x_axis, y_axis, x_flip, y_flip, labels)


def voxel_zooms(affine: np.ndarray) -> tuple[float, float, float]:
    """Voxel edge lengths (mm) from the affine's column norms."""
    norms = np.linalg.norm(np.asarray(affine, dtype=float)[:3, :3], axis=0)
    return float(norms[0]), float(norms[1]), float(norms[2])
