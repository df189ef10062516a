"""Smooth random fields and soft masks, the building blocks of the demo phantom.

A smooth field is white noise on a coarse grid, interpolated to the voxel grid with a
cubic B-spline. The interpolation is separable, so it is three small matrix products
instead of a 3D convolution: a (150, 180, 140) field costs a few tens of milliseconds.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

#: Extra coarse nodes on each side, so every voxel has the spline's full support.
_PAD = 2


def _bspline3(t: np.ndarray) -> np.ndarray:
    """The cubic B-spline kernel (support [-2, 2], partition of unity)."""
    t = np.abs(t)
    out = np.zeros_like(t)
    inner = t < 1
    outer = (t >= 1) & (t < 2)
    out[inner] = 2.0 / 3.0 - t[inner] ** 2 + 0.5 * t[inner] ** 3
    out[outer] = (2.0 - t[outer]) ** 3 / 6.0
    return out


def spline_matrix(n_out: int, spacing: float) -> np.ndarray:
    """Interpolation matrix from a coarse grid (node every ``spacing`` voxels) to ``n_out`` voxels.

    Parameters
    ----------
    n_out
        Number of voxels along the axis.
    spacing
        Distance between coarse nodes in voxels (> 0).

    Returns
    -------
    np.ndarray
        float32 (n_out, n_nodes); each row sums to 1.
    """
    n_nodes = int(np.ceil((n_out - 1) / spacing)) + 1 + 2 * _PAD
    position = np.arange(n_out, dtype=np.float64) / spacing + _PAD
    weights = _bspline3(position[:, None] - np.arange(n_nodes, dtype=np.float64)[None, :])
    return weights.astype(np.float32)


def smooth_field(
    rng: np.random.Generator, shape: Sequence[int], spacing: float | Sequence[float]
) -> np.ndarray:
    """A smooth Gaussian random field with zero mean and unit standard deviation.

    Parameters
    ----------
    rng
        Source of randomness.
    shape
        Output shape (3D).
    spacing
        Distance between the coarse random nodes in voxels, per axis or for all axes;
        features of the field are about twice this size.

    Returns
    -------
    np.ndarray
        float32 array of ``shape``.
    """
    spacings = [float(spacing)] * 3 if isinstance(spacing, (int, float, np.number)) else [float(s) for s in spacing]
    mats = [spline_matrix(int(n), max(s, 1e-3)) for n, s in zip(shape, spacings)]
    coarse = rng.standard_normal(tuple(m.shape[1] for m in mats)).astype(np.float32)
    field = np.tensordot(mats[0], coarse, axes=(1, 0))           # (a, j, k)
    field = np.tensordot(field, mats[1], axes=(1, 1))            # (a, k, b)
    field = np.tensordot(field, mats[2], axes=(1, 1))            # (a, b, c)
    # A cubic B-spline of unit-variance nodes has variance sum(w**2) < 1 (about 0.3 in
    # 3D); normalise with the exact per-voxel value so contrast does not depend on the
    # position inside the coarse cell.
    norm = [np.sqrt((m.astype(np.float64) ** 2).sum(axis=1)).astype(np.float32) for m in mats]
    field /= norm[0][:, None, None] * norm[1][None, :, None] * norm[2][None, None, :]
    return np.ascontiguousarray(field, dtype=np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function in float32 (used where a long smooth tail matters)."""
    x = np.clip(x, -30.0, 30.0)
    return (1.0 / (1.0 + np.exp(-x, dtype=np.float32))).astype(np.float32, copy=False)


def soft_below(value: np.ndarray, threshold: float | np.ndarray, width: float) -> np.ndarray:
    """Soft indicator of ``value < threshold``: a linear ramp ``4 * width`` wide.

    A ramp instead of a logistic: the same partial-volume look at a third of the cost
    (no ``exp``), and it reaches exactly 0 and 1, so masks derived from it are crisp.
    """
    ramp = np.subtract(threshold, value, dtype=np.float32)
    ramp *= np.float32(1.0 / (4.0 * width))
    ramp += np.float32(0.5)
    return np.clip(ramp, 0.0, 1.0, out=ramp)


def lerp(base: np.ndarray, target: float | np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``base + weight * (target - base)``, in place on ``base``; returns ``base``."""
    base += weight * (target - base)
    return base
