"""Shape-based interpolation of the edited layer between key slices (signed distance maps).

The user draws the layer on a few slices along an axis; the slices in between are filled
by interpolating the signed distance maps of the two nearest key slices linearly:

    sd(k) = (1 - t) * sd(a) + t * sd(b),   t = (k - a) / (b - a),   inside where sd(k) <= 0

with ``sd = distance to the layer (outside) - distance to the background (inside)``,
distances between voxel centres in mm (the in-plane spacing), so a disc of radius 4 on
slice ``a`` and of radius 8 on slice ``b`` give a disc of radius about 6 half way.
The result is a *preview* (a :class:`Change`) that the session applies or discards;
only voxels that the paint-over rule and the intensity limit allow are in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage

from .change import Box, Change, change_from_box, empty_change, merge_changes
from .fill import mask_box
from .rules import WritePolicy, resolve_write


def signed_distance(mask: np.ndarray, sampling: Sequence[float]) -> np.ndarray:
    """Signed distance (float64): negative inside ``mask``, positive outside, in units of ``sampling``.

    ``mask`` must hold both inside and outside voxels.
    """
    inside = ndimage.distance_transform_edt(mask, sampling=sampling)
    outside = ndimage.distance_transform_edt(~mask, sampling=sampling)
    return outside - inside


def key_slices_of(layer: np.ndarray, axis: int) -> list[int]:
    """The indices along ``axis`` of the slices where ``layer`` has any voxel."""
    other = tuple(a for a in range(layer.ndim) if a != axis)
    return [int(k) for k in np.flatnonzero(layer.any(axis=other))]


def interpolate_between(seg: np.ndarray, policy: WritePolicy, axis: int,
                        key_slices: Sequence[int] | None = None,
                        spacing: Sequence[float] = (1.0, 1.0, 1.0),
                        intensity: np.ndarray | None = None) -> Change:
    """The change that fills the slices between consecutive key slices; ``seg`` is not modified.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8.
    policy
        The layer (``seg == active_label`` or ``seg > 0``), paint-over rule, intensity limit.
    axis
        Array axis along which slices are interpolated (2 = between axial slices).
    key_slices
        Slices to interpolate between (those where the user drew). None: every slice where
        the layer has voxels. Key slices where the layer is empty are ignored.
    spacing
        Voxel spacing per array axis (mm); the in-plane part weights the distances.
    intensity
        Reference volume, when the policy sets an intensity range.
    """
    layer = policy.layer(seg)
    if key_slices is None:
        keys = key_slices_of(layer, axis)
    else:
        keys = sorted({int(k) for k in key_slices if np.take(layer, int(k), axis=axis).any()})
    in_plane = [float(s) for a, s in enumerate(spacing) if a != axis]
    parts: list[Change] = []
    for a, b in zip(keys[:-1], keys[1:]):
        if b - a > 1:
            parts.extend(_fill_gap(seg, layer, policy, axis, a, b, in_plane, intensity))
    return merge_changes(parts, seg.size) if parts else empty_change(seg.size)


def _fill_gap(seg: np.ndarray, layer: np.ndarray, policy: WritePolicy, axis: int, a: int, b: int,
              in_plane: Sequence[float], intensity: np.ndarray | None) -> list[Change]:
    """Changes of the slices strictly between key slices ``a`` and ``b``."""
    mask_a = np.take(layer, a, axis=axis)
    mask_b = np.take(layer, b, axis=axis)
    # Work in the in-plane box of both shapes, padded by one background voxel: distances
    # inside it are exact (every shortest path to the other class stays in the box).
    box2d = mask_box(mask_a | mask_b, pad=1)
    assert box2d is not None  # both key slices hold layer voxels
    sd_a = signed_distance(np.pad(mask_a[box2d], 1), in_plane)[1:-1, 1:-1]
    sd_b = signed_distance(np.pad(mask_b[box2d], 1), in_plane)[1:-1, 1:-1]
    changes: list[Change] = []
    for k in range(a + 1, b):
        t = (k - a) / (b - a)
        inside = (1.0 - t) * sd_a + t * sd_b <= 0.0
        box = list(box2d)
        box.insert(axis, slice(k, k + 1))
        box3d = tuple(box)
        region = np.expand_dims(inside, axis)
        sub_intensity = intensity[box3d] if intensity is not None else None
        mask, value = resolve_write(seg[box3d], region, policy, False, sub_intensity)
        changes.append(change_from_box(seg, [s.start for s in box3d], mask, value))
    return changes


@dataclass(frozen=True)
class InterpolationPreview:
    """Voxels an interpolation would paint; apply with :meth:`EditSession.apply_preview`.

    ``version`` is the session state it was computed on: applying it after any other
    edit raises :class:`EditingError` (compute a new preview instead).
    """

    change: Change
    axis: int
    box: Box | None
    version: int

    def mask(self, shape: Sequence[int]) -> np.ndarray:
        """Full-volume boolean mask of the previewed voxels (for an overlay)."""
        out = np.zeros(int(np.prod(shape)), dtype=bool)
        out[self.change.indices] = True
        return out.reshape(tuple(shape))
