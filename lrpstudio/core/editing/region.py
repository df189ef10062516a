"""A region handed to the session from outside (a suggested component, a plane mask) as a volume."""

from __future__ import annotations

import numpy as np

from ..errors import GeometryMismatchError


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
