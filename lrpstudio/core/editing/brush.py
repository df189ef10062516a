"""Brush and eraser dabs: pure functions that return the :class:`Change` of one dab.

A dab touches only the footprint's bounding box, never the whole volume. A drag between
two mouse positions is covered by dabs along the line (:func:`line_centers`) so fast
strokes leave no gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from .change import Box, Change, apply_change, bounding_box, change_from_box, union_box
from .footprint import BrushShape, FootprintSpec, Plane, RadiusUnit
from .rules import PAINT_OVER_RULES, PaintOver, WritePolicy, resolve_write

Voxel = tuple[int, int, int]


@dataclass(frozen=True)
class BrushSettings:
    """The brush as the user sets it.

    Attributes
    ----------
    radius
        Radius; in voxels of the finest axis (``unit="voxel"``) or in mm. 0 = one voxel.
    shape
        ``"disc"`` (2D, in ``plane``) or ``"ball"`` (3D).
    plane
        Plane of a 2D disc: ``"axial"`` (normal = third axis), ``"coronal"``, ``"sagittal"``.
    paint_over
        Paint-over rule (see :mod:`lrpstudio.core.editing.rules`).
    intensity_range
        Only voxels whose intensity in ``intensity_modality`` lies in ``[lo, hi]`` change.
    intensity_modality
        Reference volume for the intensity range (t1, t1ce, t2 or flair).
    unit
        ``"voxel"`` or ``"mm"`` for ``radius``.
    """

    radius: float = 3.0
    shape: BrushShape = "disc"
    plane: Plane = "axial"
    paint_over: PaintOver = "everything"
    intensity_range: tuple[float, float] | None = None
    intensity_modality: str = "flair"
    unit: RadiusUnit = "voxel"

    def __post_init__(self) -> None:
        if self.shape not in ("disc", "ball"):
            raise ValueError(f"shape must be 'disc' or 'ball', got {self.shape!r}")
        if self.plane not in ("axial", "coronal", "sagittal"):
            raise ValueError(f"plane must be axial, coronal or sagittal, got {self.plane!r}")
        if self.paint_over not in PAINT_OVER_RULES:
            raise ValueError(f"paint_over must be one of {PAINT_OVER_RULES}, got {self.paint_over!r}")
        if self.radius < 0:
            raise ValueError(f"radius must be >= 0, got {self.radius}")

    def footprint_spec(self) -> FootprintSpec:
        """The part of the settings that determines the footprint."""
        return FootprintSpec(self.radius, self.shape, self.plane, self.unit)

    def resized(self, step: float) -> "BrushSettings":
        """A copy with ``radius + step`` (never below 0): what the [ and ] keys do."""
        return replace(self, radius=max(0.0, self.radius + step))


def footprint_box(center: Sequence[int], footprint: np.ndarray, shape: Sequence[int]
                  ) -> tuple[tuple[slice, ...], tuple[slice, ...], tuple[int, ...]] | None:
    """Clip a footprint centred at ``center`` to the volume.

    Returns
    -------
    (volume_box, footprint_box, lo) or None
        Slices into the volume and into the footprint, and the volume box's start;
        None when the footprint lies entirely outside the volume.
    """
    vol_box: list[slice] = []
    fp_box: list[slice] = []
    lo_all: list[int] = []
    for c, extent, size in zip(center, footprint.shape, shape):
        half = extent // 2
        lo, hi = int(c) - half, int(c) + half + 1
        clo, chi = max(lo, 0), min(hi, int(size))
        if clo >= chi:
            return None
        vol_box.append(slice(clo, chi))
        fp_box.append(slice(clo - lo, chi - lo))
        lo_all.append(clo)
    return tuple(vol_box), tuple(fp_box), tuple(lo_all)


def dab(seg: np.ndarray, center: Sequence[int], footprint: np.ndarray, policy: WritePolicy,
        erase: bool = False, intensity: np.ndarray | None = None) -> Change | None:
    """The change of one brush (``erase=False``) or eraser dab; ``seg`` is not modified.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8.
    center
        Voxel under the cursor.
    footprint
        From :func:`lrpstudio.core.editing.footprint.brush_footprint`.
    policy
        Layer, paint-over rule and intensity limit.
    erase
        Eraser instead of brush.
    intensity
        Full reference volume (same shape as ``seg``) when an intensity range is set.

    Returns
    -------
    Change or None
        None when the footprint is entirely outside the volume.
    """
    boxes = footprint_box(center, footprint, seg.shape)
    if boxes is None:
        return None
    vol_box, fp_box, lo = boxes
    sub_intensity = intensity[vol_box] if intensity is not None else None
    mask, value = resolve_write(seg[vol_box], footprint[fp_box], policy, erase, sub_intensity)
    return change_from_box(seg, lo, mask, value)


def line_centers(start: Sequence[int], end: Sequence[int], step: float) -> list[Voxel]:
    """Dab centres from ``start`` (excluded) to ``end`` (included), at most ``step`` voxels apart."""
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    distance = float(np.abs(b - a).max())
    count = max(1, int(np.ceil(distance / max(step, 1.0))))
    points: list[Voxel] = []
    for k in range(1, count + 1):
        p = np.rint(a + (b - a) * (k / count)).astype(int)
        voxel = (int(p[0]), int(p[1]), int(p[2]))
        if not points or points[-1] != voxel:
            points.append(voxel)
    return points


def drag(seg: np.ndarray, previous: Voxel | None, center: Voxel, footprint: np.ndarray,
         policy: WritePolicy, erase: bool, intensity: np.ndarray | None) -> tuple[Change | None, Box | None]:
    """Dab from ``previous`` (None: only at ``center``) to ``center``, applying each dab to ``seg``.

    Dabs are about half a radius apart along the line, so a fast drag leaves no gaps; each
    dab sees the ones before it. Returns the changes in order as one :class:`Change` and
    the box they touched, or ``(None, None)`` when nothing changed.
    """
    step = max(1.0, min((n for n in footprint.shape if n > 1), default=1) / 4.0)
    centers = [center] if previous is None else line_centers(previous, center, step)
    box: Box | None = None
    dabs: list[Change] = []
    for point in centers:
        change = dab(seg, point, footprint, policy, erase, intensity)
        if change is None or change.size == 0:
            continue
        apply_change(seg, change)  # the next dab must see this one
        dabs.append(change)
        box = union_box(box, bounding_box(change.indices, seg.shape))
    if not dabs:
        return None, None
    if len(dabs) == 1:
        return dabs[0], box
    return Change(*(np.concatenate(parts) for parts in zip(*((c.indices, c.old, c.new) for c in dabs)))), box
