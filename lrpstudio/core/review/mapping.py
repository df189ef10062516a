"""Between a prepared network slice and the axial plane of the volume it came from.

A prepared slice is ``volume[:, :, z].T`` (J rows, I columns), zero-padded, centred, to a
square of side ``L = max(I, J)``, then area-resampled to ``S x S`` with the matrix
``W = area_weights(L, S)`` on both axes (:mod:`lrpstudio.core.data.slicing`)::

    P = W @ pad(X.T) @ W.T

Going back is the adjoint of that linear map, undone padding and transpose included:

- **mass** (``conserve="mass"``): ``W.T @ R @ W``, unpadded, transposed. Each prepared
  pixel's value is shared out over the voxels its footprint covers in proportion to the
  overlap, so the sum is kept exactly (relevance is a quantity that adds up: the mass
  outside a mask is the same counted on either grid). It is the exact adjoint:
  ``<forward(X), R> == <X, back(R)>`` for every X and R.
- **density** (``conserve="density"``, for display): the same times ``(L / S)**2``: each
  voxel gets the overlap-weighted mean of the prepared pixels that cover it, so the
  values stay in the prepared map's range and the run's colour scale applies unchanged.

Masks go forward with the dataset's own rule (:func:`plane_mask_to_prepared`) and back
by density > 1/2 (:func:`prepared_mask_to_plane`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lrpstudio.core.data.slicing import area_weights, pad_to_square, resize_area, resize_mask
from lrpstudio.core.errors import InputError

__all__ = ["plane_mask_to_prepared", "plane_to_prepared", "prepared_mask_to_plane",
           "prepared_to_plane"]

Conserve = Literal["mass", "density"]


def _pads(plane_shape: tuple[int, int]) -> tuple[int, int, int]:
    """Side ``L`` of the padded square and the top / left zero rows of ``plane.T``."""
    width, height = int(plane_shape[0]), int(plane_shape[1])  # plane is (I, J); .T is (J, I)
    side = max(width, height)
    return side, (side - height) // 2, (side - width) // 2


def prepared_to_plane(values: np.ndarray, plane_shape: tuple[int, int],
                      conserve: Conserve = "density") -> np.ndarray:
    """Map a prepared ``(S, S)`` map (or ``(C, S, S)``, summed over C) onto the axial plane.

    Parameters
    ----------
    values
        The map on the network's grid, e.g. an LRP heatmap.
    plane_shape
        ``(I, J)``: the shape of ``volume[:, :, z]``.
    conserve
        ``"density"`` (display: overlap-weighted mean of the covering pixels) or
        ``"mass"`` (the exact adjoint: sums are kept).

    Returns
    -------
    numpy.ndarray
        float64 ``(I, J)`` in the volume's voxel order.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:
        values = values.sum(axis=0)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise InputError("a prepared map must be square (S, S) or (C, S, S)",
                         expected="(S, S)", actual=tuple(values.shape))
    if conserve not in ("mass", "density"):
        raise ValueError(f"conserve must be 'mass' or 'density', got {conserve!r}")
    size = values.shape[0]
    side, top, left = _pads(plane_shape)
    weights = area_weights(side, size)  # (S, L); rows sum to 1
    padded = weights.T @ values @ weights  # (L, L)
    if conserve == "density":
        padded = padded * (side / size) ** 2
    height, width = int(plane_shape[1]), int(plane_shape[0])
    return np.ascontiguousarray(padded[top:top + height, left:left + width].T)


def plane_to_prepared(plane: np.ndarray, size: int) -> np.ndarray:
    """The forward map of an ``(I, J)`` plane onto the ``(S, S)`` grid (float64), as training does."""
    return resize_area(pad_to_square(np.asarray(plane, dtype=np.float64).T), size)


def plane_mask_to_prepared(mask: np.ndarray, size: int) -> np.ndarray:
    """An ``(I, J)`` boolean plane mask on the ``(S, S)`` grid, by the dataset's coverage rule."""
    return resize_mask(pad_to_square(np.asarray(mask, dtype=bool).T), size)


def prepared_mask_to_plane(mask: np.ndarray, plane_shape: tuple[int, int]) -> np.ndarray:
    """A boolean ``(S, S)`` mask back on the ``(I, J)`` plane: voxels more than half covered."""
    density = prepared_to_plane(np.asarray(mask, dtype=np.float64), plane_shape, "density")
    return density > 0.5
