"""Polygon and lasso fill: a closed outline in one slice, rasterised into a :class:`Change`.

Coordinates
-----------
A vertex is ``(u, v)`` in voxel units of the slice: ``u`` and ``v`` are the two in-plane
voxel axes in increasing order (axial: x, y; coronal: x, z; sagittal: y, z), and voxel
``(i, j)`` has its centre at ``(i, j)``. Vertices may be fractional. The outline is
closed: the last vertex connects back to the first.

Which voxels the polygon covers (the pixel-centre rule)
-------------------------------------------------------
A voxel is covered when its centre lies **on the outline** or **inside it by the
even-odd rule** (a ray from the centre towards +u crosses the outline an odd number of
times; a self-crossing lasso leaves the doubly wound parts empty, as in most drawing
programs). The crossing test is the classic half-open one (an edge counts for a row
``v`` when exactly one of its ends lies above ``v``), so a vertex on a row is counted
once. "On the outline" is exact: the cross product of the edge with the centre is zero
and the centre lies within the edge's bounding box. Because of the second half, a
polygon clicked on voxel centres always covers the voxels that were clicked and the
straight lines between them, and even a thin sliver is never empty.

The covered voxels then go through :func:`~lrpstudio.core.editing.rules.resolve_write`
like every other tool: the active label or the guidance mask, the paint-over rule and
the intensity limit decide which of them really change.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import EditingError
from .change import Change, change_from_box, empty_change
from .footprint import PLANE_NORMAL, Plane
from .rules import WritePolicy, resolve_write

#: Fewest vertices of a polygon (two make a line, which has no inside).
MIN_VERTICES = 3


def plane_axes(plane: Plane) -> tuple[int, int]:
    """The voxel axes ``(u, v)`` of a plane's vertices: the two in-plane axes in increasing order."""
    normal = PLANE_NORMAL[plane]
    u, v = (a for a in range(3) if a != normal)
    return u, v


def _vertices(points: Sequence[Sequence[float]]) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
        raise EditingError("polygon vertices must be finite (u, v) pairs",
                           expected="(n, 2)", actual=pts.shape)
    if len(pts) > 1 and np.array_equal(pts[0], pts[-1]):
        pts = pts[:-1]  # an explicitly closed outline: the closing edge is implied
    if len(pts) < MIN_VERTICES:
        raise EditingError("a polygon needs at least three vertices",
                           expected=f">= {MIN_VERTICES}", actual=len(pts))
    return pts


def _inside(pts: np.ndarray, us: np.ndarray, vs: np.ndarray) -> np.ndarray:
    """Even-odd inside test of the centres ``us x vs`` (one sorted crossing list per row)."""
    a, b = pts, np.roll(pts, -1, axis=0)
    inside = np.zeros((us.size, vs.size), dtype=bool)
    for col, v in enumerate(vs):
        crosses = (a[:, 1] > v) != (b[:, 1] > v)
        if not crosses.any():
            continue
        ea, eb = a[crosses], b[crosses]
        # The same expression as the per-point reference, so the two agree bit for bit.
        x_int = np.sort((eb[:, 0] - ea[:, 0]) * (v - ea[:, 1]) / (eb[:, 1] - ea[:, 1]) + ea[:, 0])
        right_of = x_int.size - np.searchsorted(x_int, us, side="right")  # crossings with u < x
        inside[:, col] = (right_of % 2) == 1
    return inside


def _on_outline(pts: np.ndarray, u0: int, v0: int, shape: tuple[int, int]) -> np.ndarray:
    """Centres of the box at ``(u0, v0)`` of ``shape`` that lie exactly on an edge."""
    on = np.zeros(shape, dtype=bool)
    for (au, av), (bu, bv) in zip(pts, np.roll(pts, -1, axis=0)):
        du, dv = bu - au, bv - av
        if abs(du) >= abs(dv):  # walk the edge's longer axis; one candidate per step
            if du == 0:  # a degenerate edge: a single point
                cu = np.array([round(au)], dtype=np.float64)
                cv = np.array([round(av)], dtype=np.float64)
            else:
                cu = np.arange(np.ceil(min(au, bu)), np.floor(max(au, bu)) + 1)
                cv = np.round(av + (cu - au) * dv / du)
        else:
            cv = np.arange(np.ceil(min(av, bv)), np.floor(max(av, bv)) + 1)
            cu = np.round(au + (cv - av) * du / dv)
        exact = (du * (cv - av) - dv * (cu - au) == 0)
        exact &= (cu >= min(au, bu)) & (cu <= max(au, bu)) & (cv >= min(av, bv)) & (cv <= max(av, bv))
        iu, iv = cu[exact].astype(np.int64) - u0, cv[exact].astype(np.int64) - v0
        keep = (iu >= 0) & (iu < shape[0]) & (iv >= 0) & (iv < shape[1])
        on[iu[keep], iv[keep]] = True
    return on


def rasterise_polygon(points: Sequence[Sequence[float]], shape: Sequence[int]) -> np.ndarray:
    """The voxels of a ``shape = (nu, nv)`` slice that a closed polygon covers (see the module rule).

    Parameters
    ----------
    points
        Vertices ``(u, v)`` in voxel units, at least three; the outline is closed.
    shape
        The slice's size along ``u`` and ``v``; vertices outside it are clipped away.

    Returns
    -------
    np.ndarray
        Boolean ``(nu, nv)``.

    Raises
    ------
    EditingError
        Fewer than three distinct-position vertices, or non-finite ones.
    """
    pts = _vertices(points)
    nu, nv = int(shape[0]), int(shape[1])
    covered = np.zeros((nu, nv), dtype=bool)
    u0, u1 = max(0, int(np.ceil(pts[:, 0].min()))), min(nu - 1, int(np.floor(pts[:, 0].max())))
    v0, v1 = max(0, int(np.ceil(pts[:, 1].min()))), min(nv - 1, int(np.floor(pts[:, 1].max())))
    if u0 > u1 or v0 > v1:
        return covered  # the polygon lies outside the slice (or between centres)
    us = np.arange(u0, u1 + 1, dtype=np.float64)
    vs = np.arange(v0, v1 + 1, dtype=np.float64)
    box = _inside(pts, us, vs) | _on_outline(pts, u0, v0, (us.size, vs.size))
    covered[u0:u1 + 1, v0:v1 + 1] = box
    return covered


def polygon_fill(seg: np.ndarray, points: Sequence[Sequence[float]], plane: Plane, index: int,
                 policy: WritePolicy, *, erase: bool = False,
                 intensity: np.ndarray | None = None) -> Change:
    """The change that fills (or erases) a polygon in one slice; ``seg`` is not modified.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8.
    points
        Vertices ``(u, v)`` in the slice (see :func:`plane_axes`), at least three.
    plane, index
        The slice: ``seg`` indexed at ``index`` along ``plane``'s normal axis.
    policy
        Layer, paint-over rule and intensity limit of the write.
    erase
        Write background instead of the paint value.
    intensity
        Reference volume, needed when ``policy.intensity_range`` is set.
    """
    normal = PLANE_NORMAL[plane]
    if not 0 <= int(index) < seg.shape[normal]:
        raise EditingError(f"slice {index} is outside the {plane} range",
                           expected=f"0..{seg.shape[normal] - 1}", actual=index)
    u, v = plane_axes(plane)
    covered = rasterise_polygon(points, (seg.shape[u], seg.shape[v]))
    hits = np.nonzero(covered)
    if hits[0].size == 0:
        return empty_change(seg.size)
    lo = [0, 0, 0]
    hi = list(seg.shape)
    lo[u], hi[u] = int(hits[0].min()), int(hits[0].max()) + 1
    lo[v], hi[v] = int(hits[1].min()), int(hits[1].max()) + 1
    lo[normal], hi[normal] = int(index), int(index) + 1
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    region = np.expand_dims(covered[lo[u]:hi[u], lo[v]:hi[v]], normal)
    sub_intensity = intensity[box] if intensity is not None else None
    mask, value = resolve_write(seg[box], region, policy, erase, sub_intensity)
    return change_from_box(seg, lo, mask, value)
