"""Flood fill and fill holes, in one slice or in 3D: pure functions returning a :class:`Change`.

Connectivity is face-connected (4 neighbours in a slice, 6 in 3D): a fill never leaks
through a diagonal gap that a user sees as closed.

One flood fill serves three tools, by what makes a voxel "similar" to the seed:
``"label"`` (the same current value: the Fill tool), ``"intensity"`` (within a tolerance
of the seed's intensity) and ``"range"`` (an intensity in ``[low, high]``: seeded region
growing, see :mod:`.grow`).
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
from scipy import ndimage

from .change import Change, change_from_box, empty_change, merge_changes
from .footprint import PLANE_NORMAL, Plane
from .rules import WritePolicy, resolve_write

FillCriterion = Literal["label", "intensity", "range"]


def mask_box(mask: np.ndarray, pad: int = 0) -> tuple[slice, ...] | None:
    """The bounding box of a boolean array's True voxels, grown by ``pad``; None when empty."""
    box: list[slice] = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other))
        if hits.size == 0:
            return None
        box.append(slice(max(int(hits[0]) - pad, 0), min(int(hits[-1]) + 1 + pad, mask.shape[axis])))
    return tuple(box)


def _slice_box(shape: Sequence[int], plane: Plane | None, index: int | None) -> tuple[slice, ...]:
    """The box of one slice (``plane`` at ``index``) or of the whole volume (``plane`` None)."""
    box = [slice(0, int(n)) for n in shape]
    if plane is not None and index is not None:
        axis = PLANE_NORMAL[plane]
        box[axis] = slice(int(index), int(index) + 1)
    return tuple(box)


def flood_fill(seg: np.ndarray, seed: Sequence[int], policy: WritePolicy, *, erase: bool = False,
               plane: Plane | None = "axial", criterion: FillCriterion = "label",
               tolerance: float = 0.0, intensity: np.ndarray | None = None,
               window: tuple[float, float] | None = None) -> Change:
    """The change of a flood fill from ``seed``; ``seg`` is not modified.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8.
    seed
        Start voxel.
    policy
        Layer, paint-over rule and intensity limit of the write.
    erase
        Write background instead of the paint value.
    plane
        Fill within the slice of this plane through the seed; None fills in 3D.
    criterion
        ``"label"``: the connected region with the seed's current value.
        ``"intensity"``: the connected region with ``|I - I[seed]| <= tolerance``.
        ``"range"``: the connected region with ``low <= I <= high`` (``window``); empty
        when the seed itself lies outside the range.
    tolerance
        Intensity tolerance for ``criterion="intensity"``.
    intensity
        Reference volume, needed for the intensity criteria or an intensity range.
    window
        ``(low, high)`` inclusive, for ``criterion="range"``.
    """
    seed = tuple(int(s) for s in seed)
    if any(not 0 <= s < n for s, n in zip(seed, seg.shape)):
        raise ValueError(f"seed {seed} is outside the volume {seg.shape}")
    box = _slice_box(seg.shape, plane, seed[PLANE_NORMAL[plane]] if plane else None)
    sub = seg[box]
    sub_intensity = intensity[box] if intensity is not None else None
    local_seed = tuple(s - b.start for s, b in zip(seed, box))
    similar = _similar(sub, sub_intensity, local_seed, criterion, tolerance, window)
    if not similar[local_seed]:
        return empty_change(seg.size)  # a range that excludes the seed grows nothing
    # Label only inside the bounding box of the similar voxels (it holds the seed's
    # component): a 3D fill of one tumour label then never labels the whole volume.
    inner = mask_box(similar)
    assert inner is not None  # the seed itself is similar
    labels, _ = ndimage.label(similar[inner])  # default structure: face connectivity
    region = labels == labels[tuple(s - i.start for s, i in zip(local_seed, inner))]
    sub_inner = sub[inner]
    intensity_inner = sub_intensity[inner] if sub_intensity is not None else None
    mask, value = resolve_write(sub_inner, region, policy, erase, intensity_inner)
    return change_from_box(seg, [b.start + i.start for b, i in zip(box, inner)], mask, value)


def _similar(sub: np.ndarray, sub_intensity: np.ndarray | None, seed: tuple[int, ...],
             criterion: FillCriterion, tolerance: float,
             window: tuple[float, float] | None) -> np.ndarray:
    """The voxels a flood fill may spread through, by ``criterion``."""
    if criterion == "label":
        return np.asarray(sub == sub[seed])
    if sub_intensity is None:
        raise ValueError(f"a flood fill by {criterion} needs the reference intensity volume")
    values = sub_intensity.astype(np.float64)
    if criterion == "intensity":
        return np.asarray(np.abs(values - float(values[seed])) <= tolerance)
    if criterion != "range" or window is None:
        raise ValueError(f"unknown flood fill criterion {criterion!r} (or a range without a window)")
    low, high = window
    return np.asarray((values >= low) & (values <= high))


def _holes_in_box(seg: np.ndarray, box: tuple[slice, ...], policy: WritePolicy,
                  intensity: np.ndarray | None, axis: int | None) -> Change | None:
    """Fill the holes of the edited layer inside ``box``: the volume, or the slice normal to ``axis``."""
    sub = seg[box]
    layer = policy.layer(sub)
    inner = mask_box(layer, pad=1)
    if inner is None:
        return None
    # Holes lie inside the layer's bounding box; a 1-voxel pad keeps the outside connected.
    layer_inner = layer[inner]
    if axis is None:
        filled = ndimage.binary_fill_holes(layer_inner)
    else:
        # In 2D: a one-voxel-thick 3D box would put every voxel on the border.
        filled = np.expand_dims(ndimage.binary_fill_holes(layer_inner.squeeze(axis)), axis)
    holes = filled & ~layer_inner
    if not holes.any():
        return None
    sub_inner = sub[inner]
    sub_intensity = intensity[box][inner] if intensity is not None else None
    mask, value = resolve_write(sub_inner, holes, policy, False, sub_intensity)
    lo = [b.start + i.start for b, i in zip(box, inner)]
    return change_from_box(seg, lo, mask, value)


def fill_holes(seg: np.ndarray, policy: WritePolicy, *, plane: Plane | None = None,
               index: int | None = None, intensity: np.ndarray | None = None) -> Change:
    """The change that fills the holes of the edited layer; ``seg`` is not modified.

    A hole is a region not in the layer (``seg == active_label``, or ``seg > 0`` in guidance
    mode) that is enclosed by it. Holes receive the paint value, subject to the paint-over
    rule: with ``background_only`` a hole occupied by another label (the necrotic core inside
    an enhancing ring) is left alone, with ``everything`` it is overwritten.

    Parameters
    ----------
    plane, index
        ``plane=None``: holes enclosed in 3D. ``plane`` and ``index``: holes of that one
        slice. ``plane`` with ``index=None``: every slice of that plane, slice by slice.
    """
    if plane is None:
        change = _holes_in_box(seg, _slice_box(seg.shape, None, None), policy, intensity, None)
        return change if change is not None else empty_change(seg.size)
    axis = PLANE_NORMAL[plane]
    if index is not None:
        change = _holes_in_box(seg, _slice_box(seg.shape, plane, index), policy, intensity, axis)
        return change if change is not None else empty_change(seg.size)
    parts = [_holes_in_box(seg, _slice_box(seg.shape, plane, k), policy, intensity, axis)
             for k in range(seg.shape[axis])]
    return merge_changes([p for p in parts if p is not None], seg.size)
