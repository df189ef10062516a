"""A region handed to the session from outside (a suggested component, a plane mask) as a volume."""

from __future__ import annotations

import numpy as np

from ..errors import EditingError, GeometryMismatchError
from .change import Change, change_from_mask
from .rules import PAINTABLE_LABELS, WritePolicy, resolve_write


def volume_region(mask: np.ndarray, shape: tuple[int, int, int], z: int | None) -> np.ndarray:
    """A full-volume bool copy of a 3D ``mask``, or of an axial plane ``(X, Y)`` placed at slice ``z``.

    Raises
    ------
    GeometryMismatchError
        The mask is neither the volume's shape nor an axial plane with a valid ``z``.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape == shape:
        return mask.copy()
    if mask.shape != shape[:2] or z is None or not 0 <= int(z) < shape[2]:
        raise GeometryMismatchError("the region does not fit the segmentation",
                                    expected=f"{shape}, or {shape[:2]} with a slice 0 <= z < {shape[2]}",
                                    actual=f"{mask.shape} at z = {z}")
    region = np.zeros(shape, dtype=bool)
    region[:, :, int(z)] = mask
    return region


def volume_values(values: np.ndarray, shape: tuple[int, int, int], z: int | None) -> np.ndarray:
    """Intensities on the full volume: a plane sits at slice ``z``, NaN (in no range) elsewhere."""
    values = np.asarray(values)
    if values.shape == shape:
        return values
    volume_region(np.zeros(values.shape, dtype=bool), shape, z)  # the same checks as the mask
    volume = np.full(shape, np.nan)
    volume[:, :, int(z if z is not None else 0)] = values
    return volume


def within(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """``low <= values <= high`` (a None bound is open; NaN is never inside)."""
    return (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))


def add_region(seg: np.ndarray, mask: np.ndarray, label: int, z: int | None = None,
               intensity: np.ndarray | None = None, low: float | None = None,
               high: float | None = None) -> Change:
    """The change that paints a region handed in from outside (e.g. a suggested component).

    Parameters
    ----------
    seg
        The segmentation (X, Y, Z); not modified.
    mask
        Boolean volume of ``seg``'s shape, or an axial plane ``(X, Y)`` placed at slice ``z``.
    label
        The label painted (1, 2 or 3). Voxels of another tumour label keep theirs: an
        added region never relabels the existing mask.
    z
        The axial slice of a plane ``mask``.
    intensity, low, high
        Optional limit: only voxels with ``low <= intensity <= high`` change (a None bound
        is open; with both None no limit applies). ``intensity`` is a volume or a plane.
    """
    if int(label) not in PAINTABLE_LABELS:
        raise EditingError("a region can only be added with a tumour label",
                           expected=PAINTABLE_LABELS, actual=label)
    shape = (int(seg.shape[0]), int(seg.shape[1]), int(seg.shape[2]))
    region = volume_region(mask, shape, z)
    if low is not None or high is not None:
        if intensity is None:
            raise EditingError("an intensity limit needs the reference intensities")
        region &= within(volume_values(intensity, shape, z), low, high)
    policy = WritePolicy(mode="label", active_label=int(label), paint_over="protect_others")
    written, value = resolve_write(seg, region, policy, erase=False)
    return change_from_mask(seg, written, value)
