"""Seeded region growing within an intensity range (ITK-SNAP's and Slicer's "grow from seed").

From a seed voxel, the region is every voxel face-connected to it (4 neighbours in a
slice, 6 in 3D) whose reference intensity lies in ``[low, high]``. It is the flood fill
of :mod:`.fill` with the ``"range"`` criterion, so the Fill and Grow tools share one
implementation and one set of write rules; this module adds the default range.

Default range: ``mean ± k·sd`` of the reference intensity over the seed's neighbourhood
(a ``(2r+1)`` square in the slice, or cube in 3D, cut at the volume's edge). A flat
neighbourhood (sd 0) still gives a range that holds the seed's own value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .change import Change
from .fill import flood_fill
from .footprint import PLANE_NORMAL, Plane
from .rules import WritePolicy

#: Half-width of the neighbourhood the default range is measured on (3x3 or 3x3x3).
SEED_RADIUS = 1
#: Standard deviations on either side of the neighbourhood's mean.
SEED_K = 2.0


def seed_range(intensity: np.ndarray, seed: Sequence[int], plane: Plane | None = "axial", *,
               radius: int = SEED_RADIUS, k: float = SEED_K) -> tuple[float, float]:
    """The default range ``mean ± k·sd`` of the intensities around ``seed``.

    Parameters
    ----------
    intensity
        Reference volume (X, Y, Z).
    seed
        The seed voxel.
    plane
        Measure in the slice of this plane through the seed; None measures in 3D.
    radius
        Half-width of the neighbourhood in voxels.
    k
        Standard deviations on each side (0 gives the mean only, widened to hold the seed).

    Returns
    -------
    (low, high)
        Always ``low <= intensity[seed] <= high`` (NaN intensities are ignored).
    """
    seed = tuple(int(s) for s in seed)
    if any(not 0 <= s < n for s, n in zip(seed, intensity.shape)):
        raise ValueError(f"seed {seed} is outside the volume {intensity.shape}")
    box = [slice(max(s - radius, 0), s + radius + 1) for s in seed]
    if plane is not None:
        normal = PLANE_NORMAL[plane]
        box[normal] = slice(seed[normal], seed[normal] + 1)
    values = np.asarray(intensity[tuple(box)], dtype=np.float64)
    values = values[np.isfinite(values)]
    own = float(intensity[seed])
    if values.size == 0 or not np.isfinite(own):
        return own, own
    mean, sd = float(values.mean()), float(values.std())
    # The seed must grow at least itself: widen the range to hold its own value.
    return min(mean - k * sd, own), max(mean + k * sd, own)


def grow_region(seg: np.ndarray, seed: Sequence[int], policy: WritePolicy, intensity: np.ndarray,
                low: float, high: float, *, plane: Plane | None = "axial",
                erase: bool = False) -> Change:
    """The change that paints (or erases) the region grown from ``seed`` within ``[low, high]``.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8; not modified.
    seed
        Start voxel; when its own intensity is outside the range nothing grows.
    policy
        Layer, paint-over rule and the brush's intensity limit (applied on top).
    intensity
        Reference volume the range applies to.
    low, high
        Inclusive intensity range (swapped when given the wrong way round).
    plane
        Grow within the slice of this plane through the seed; None grows in 3D.
    erase
        Write background instead of the paint value.
    """
    window = (float(min(low, high)), float(max(low, high)))
    return flood_fill(seg, seed, policy, erase=erase, plane=plane, criterion="range",
                      intensity=intensity, window=window)
