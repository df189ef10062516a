"""A set of changed voxels: flat indices with their old and new values, in compact dtypes.

Every tool produces a :class:`Change` without mutating the segmentation (pure functions);
the session applies it and keeps it for undo. Storing only changed voxels keeps 100+
undo steps cheap: a brush stroke of a few thousand voxels costs a few tens of kilobytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import SegmentationError

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def index_dtype(size: int) -> np.dtype:
    """The smallest signed integer dtype that holds flat indices of a volume of ``size`` voxels."""
    return np.dtype(np.int32) if size <= np.iinfo(np.int32).max else np.dtype(np.int64)


@dataclass(frozen=True)
class Change:
    """Changed voxels of one volume: ``seg.flat[indices]`` goes from ``old`` to ``new``.

    ``indices`` are unique within a change produced by a tool or by :func:`merge_changes`;
    raw stroke chunks may repeat an index (applied in order, the last value wins).
    """

    indices: np.ndarray  # int32 (int64 for volumes over 2**31 voxels)
    old: np.ndarray  # uint8
    new: np.ndarray  # uint8

    @property
    def size(self) -> int:
        """Number of (index, value) entries."""
        return int(self.indices.size)

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self.indices.nbytes + self.old.nbytes + self.new.nbytes)

    def inverse(self) -> "Change":
        """The change that undoes this one (entries reversed so repeats unwind in order)."""
        return Change(self.indices[::-1], self.new[::-1], self.old[::-1])


def empty_change(size: int) -> Change:
    """A change with no voxels for a volume of ``size`` voxels."""
    return Change(np.zeros(0, index_dtype(size)), np.zeros(0, np.uint8), np.zeros(0, np.uint8))


def change_from_box(seg: np.ndarray, lo: Sequence[int], mask: np.ndarray, value: int) -> Change:
    """The change that writes ``value`` where ``mask`` is True inside the box starting at ``lo``.

    Only the box is touched (no full-volume work), so a brush dab stays well under 1 ms.
    """
    local = np.nonzero(mask)
    coords = tuple(axis_idx + int(start) for axis_idx, start in zip(local, lo))
    dtype = index_dtype(seg.size)
    flat = np.ravel_multi_index(coords, seg.shape).astype(dtype, copy=False)
    box = tuple(slice(int(start), int(start) + extent) for start, extent in zip(lo, mask.shape))
    old = np.ascontiguousarray(seg[box][mask], dtype=np.uint8)
    return Change(flat, old, np.full(flat.size, value, dtype=np.uint8))


def change_from_mask(seg: np.ndarray, mask: np.ndarray, value: int) -> Change:
    """The change that writes ``value`` where a full-volume boolean ``mask`` is True."""
    return change_from_box(seg, (0,) * seg.ndim, mask, value)


def apply_change(seg: np.ndarray, change: Change, forward: bool = True) -> None:
    """Write the change's new values (``forward``) or old values (undo) into ``seg`` in place."""
    flat = seg.reshape(-1)  # a view: the session keeps seg C-contiguous
    if forward:
        flat[change.indices] = change.new
    else:
        # Reverse order so repeated indices end on their earliest old value.
        flat[change.indices[::-1]] = change.old[::-1]


def merge_changes(changes: Sequence[Change], size: int) -> Change:
    """One change equivalent to applying ``changes`` in order, with unique indices.

    Each voxel keeps its first ``old`` and its last ``new``; voxels that end where they
    started are dropped (painting then erasing the same voxel in one stroke is no change).
    """
    parts = [c for c in changes if c.size]
    if not parts:
        return empty_change(size)
    indices = np.concatenate([c.indices for c in parts])
    old = np.concatenate([c.old for c in parts])
    new = np.concatenate([c.new for c in parts])
    uniq, first = np.unique(indices, return_index=True)
    _, last_rev = np.unique(indices[::-1], return_index=True)
    last = indices.size - 1 - last_rev
    merged_old, merged_new = old[first], new[last]
    keep = merged_old != merged_new
    return Change(uniq[keep].astype(index_dtype(size), copy=False), merged_old[keep], merged_new[keep])


def as_box(spans: Iterable[tuple[int, int]]) -> Box:
    """The box of three ``(lo, hi)`` spans (a ValueError for another number of axes)."""
    x, y, z = spans
    return x, y, z


def as_shape(sizes: Iterable[int]) -> tuple[int, int, int]:
    """A volume shape ``(X, Y, Z)`` of ints (a ValueError for another number of axes)."""
    x, y, z = (int(n) for n in sizes)
    return x, y, z


def bounding_box(indices: np.ndarray, shape: Sequence[int]) -> Box | None:
    """Inclusive-exclusive ``((lo, hi), ...)`` per axis of the voxels, or None when empty."""
    if indices.size == 0:
        return None
    coords = np.unravel_index(indices, tuple(shape))
    return as_box((int(c.min()), int(c.max()) + 1) for c in coords)


def union_box(a: Box | None, b: Box | None) -> Box | None:
    """The smallest box containing both (None is the empty box)."""
    if a is None:
        return b
    if b is None:
        return a
    return as_box((min(x[0], y[0]), max(x[1], y[1])) for x, y in zip(a, b))


def checked_seg(seg: np.ndarray, source: str | Path | None) -> np.ndarray:
    """A private C-contiguous uint8 copy of a segmentation; its labels must be canonical (0..3)."""
    array = np.asarray(seg)
    if array.ndim != 3:
        raise SegmentationError("the segmentation must be 3D", source, expected=3, actual=array.ndim)
    fractional = not np.issubdtype(array.dtype, np.integer) and not np.array_equal(array, np.round(array))
    if array.size and (array.min() < 0 or array.max() > 3 or fractional):
        raise SegmentationError("the segmentation must hold canonical labels 0..3", source,
                                expected="0..3", actual=sorted(np.unique(array).tolist())[:8])
    return np.array(array, dtype=np.uint8, order="C", copy=True)
