"""The numpy part of the slice dataset: slice choice, normalisation, resizing, splits.

Everything here is a pure function of arrays (and an explicit seed); reading files and
caching are :mod:`lrpstudio.core.data.prepare`'s job.

Conventions (the viewer must use the same ones when it shows a prepared slice):

- **Axial** is the third voxel axis of the file (voxel order, no reorientation).
- **2D orientation**: a slice is ``volume[:, :, z].T``: rows follow voxel axis ``j``,
  columns follow voxel axis ``i``, no flips. For BraTS files (affine ``diag(-1, -1, 1)``,
  i.e. voxel axes pointing to L, P, S) this puts anterior at the top and the patient's
  right on the image's left: the usual radiological view.
- **Slice choice**: the axial slice with the largest *whole-tumour* area (seg > 0; the
  first one when several tie), and ``count`` slices ``step`` apart around it. Near the
  ends of the volume the window shifts inward in whole steps so that it still holds
  ``count`` slices and still contains the largest slice; only when the volume is too
  short are there fewer. The whole tumour picks the slices whatever sub-region the
  guidance mask uses, so a small or missing enhancing region cannot move them.
- **Normalisation**, per channel and per case, inside the brain (any modality > 0):
  intensities are clipped to the brain's 0.5 and 99.5 percentiles (a few hot voxels
  must not set the scale), then z-scored with the mean and standard deviation of the
  clipped *healthy* brain voxels (brain minus whole tumour) of the *whole volume* (not
  per slice, so the slices of one case share one scale; without the tumour, so that a
  large bright oedema does not shift the grey level of the whole brain with the grade).
  Outside the brain the value is 0 (= the healthy brain's mean).
- **Resizing**: a non-square slice is first zero-padded, centred, to a square (the
  aspect ratio is kept). Images and masks then go through the same exact area
  resampling: each output pixel is the area-weighted mean of the input pixels its
  footprint covers (a box filter: anti-aliased when shrinking, no ringing, values stay
  within the input range). A mask pixel is set when more than half of its footprint
  was inside the mask (coverage > 0.5; an exact tie is not set). Using one operator for both keeps masks
  aligned with images. At the native size the operator is the identity.
- **Split**: patient level, stratified by grade: per grade, the sorted case ids are
  shuffled with a generator seeded by ``(seed, grade)`` and cut by largest-remainder
  rounding of the fractions. Adding a case of one grade leaves the other grade's split
  as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

#: Canonical labels that make up each guidance region (1 core, 2 oedema, 3 enhancing).
MASK_REGIONS: Mapping[str, tuple[int, ...]] = {
    "whole": (1, 2, 3),
    "core": (1, 3),
    "enhancing": (3,),
}
#: Percentiles of the brain's intensities that clip each channel before the z-score.
CLIP_PERCENTILES: tuple[float, float] = (0.5, 99.5)
#: A resized mask pixel is set when more than this fraction of its footprint is inside.
MASK_COVERAGE = 0.5
#: Coverage is a ratio of small integers: anything within this of 1/2 is an exact tie.
COVERAGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ChannelStats:
    """Normalisation of one channel: clip to ``[low, high]``, then ``(v - mean) / std``."""

    low: float
    high: float
    mean: float
    std: float


@dataclass(frozen=True)
class CaseSlices:
    """The slices extracted from one case.

    Attributes
    ----------
    images
        float32 (k, C, S, S), normalised and resized.
    tumor_masks, brain_masks
        bool (k, S, S); the brain mask includes the tumour.
    slice_index
        int64 (k,), the axial indices in the source volume.
    """

    images: np.ndarray
    tumor_masks: np.ndarray
    brain_masks: np.ndarray
    slice_index: np.ndarray


def region_mask(seg: np.ndarray, region: str = "whole") -> np.ndarray:
    """Boolean mask of a tumour region in a canonical segmentation.

    Parameters
    ----------
    seg
        Canonical labels (0 background, 1 core, 2 oedema, 3 enhancing).
    region
        ``"whole"`` (seg > 0), ``"core"`` (1 and 3) or ``"enhancing"`` (3).
    """
    if region not in MASK_REGIONS:
        raise ValueError(f"unknown mask region {region!r}; one of {tuple(MASK_REGIONS)}")
    return np.isin(seg, MASK_REGIONS[region])


def select_slices(areas: np.ndarray, count: int, step: int) -> np.ndarray:
    """Axial indices: ``count`` slices ``step`` apart around the largest area.

    Parameters
    ----------
    areas
        (Z,) tumour area per axial slice.
    count, step
        How many slices, and their spacing (>= 1 each).

    Returns
    -------
    numpy.ndarray
        Sorted int64 indices. They always contain ``argmax(areas)`` and lie on its
        grid of spacing ``step``; near a volume end the window shifts inward, and it
        holds fewer than ``count`` slices only when the volume is too short.
    """
    if count < 1 or step < 1:
        raise ValueError(f"count and step must be >= 1, got {count} and {step}")
    depth = int(len(areas))
    centre = int(np.argmax(areas))
    # Every grid position inside the volume, ranked by distance from the centre (ties:
    # the lower one first), so a clipped side is made up on the other side.
    offsets = np.arange(-(centre // step), (depth - 1 - centre) // step + 1)
    ranked = sorted(offsets.tolist(), key=lambda j: (abs(j), j))[:count]
    return np.sort(centre + step * np.asarray(ranked, dtype=np.int64))


def axial_slices(volume: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Slices ``volume[:, :, z].T`` for each ``z`` in ``index``: shape (k, J, I)."""
    return np.ascontiguousarray(np.transpose(volume[:, :, np.asarray(index)], (2, 1, 0)))


def brain_statistics(
    volume: np.ndarray, brain: np.ndarray, percentiles: tuple[float, float] = CLIP_PERCENTILES
) -> ChannelStats:
    """Clip bounds, mean and standard deviation of one channel inside the brain.

    The mean and standard deviation are those of the brain voxels after clipping, so
    the normalised brain voxels of the volume have mean 0 and standard deviation 1.
    An empty brain gives the identity; a constant one gives std 1 (no division by 0).
    """
    values = _masked_values(volume, brain)
    if values.size == 0:
        return ChannelStats(low=-np.inf, high=np.inf, mean=0.0, std=1.0)
    low, high = _percentiles(values, percentiles)
    clipped = np.clip(values.astype(np.float64), low, high)
    std = float(clipped.std())
    return ChannelStats(low=low, high=high, mean=float(clipped.mean()), std=std if std > 0 else 1.0)


def _masked_values(volume: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``volume[mask]`` in some order (the statistics do not depend on it).

    The files' volumes are Fortran-ordered: when both arrays share a memory layout,
    indexing them in memory order selects the same voxels about 20 % faster than boolean
    indexing in C order. Mixed layouts would pair the wrong voxels, so they take the
    ordinary path.
    """
    same_f = volume.flags.f_contiguous and mask.flags.f_contiguous
    same_c = volume.flags.c_contiguous and mask.flags.c_contiguous
    if same_f and not same_c:
        return volume.ravel(order="F")[mask.ravel(order="F")]
    return volume[mask]


def _percentiles(values: np.ndarray, percentiles: Sequence[float]) -> list[float]:
    """``np.percentile`` (linear method) by one partial sort in the values' own dtype.

    Partitioning the int16 voxels directly avoids a float64 copy of a million values.
    """
    positions = [p / 100.0 * (values.size - 1) for p in percentiles]
    ranks = sorted({k for x in positions for k in (int(np.floor(x)), int(np.ceil(x)))})
    part = np.partition(values, ranks)
    result = []
    for x in positions:
        lower, upper = float(part[int(np.floor(x))]), float(part[int(np.ceil(x))])
        result.append(lower + (x - np.floor(x)) * (upper - lower))
    return result


def normalise(values: np.ndarray, brain: np.ndarray, stats: ChannelStats) -> np.ndarray:
    """Apply ``stats`` to ``values`` (any shape): float32, 0 outside ``brain``."""
    scaled = (np.clip(values.astype(np.float64), stats.low, stats.high) - stats.mean) / stats.std
    return np.where(brain, scaled, 0.0).astype(np.float32)


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) exact area-resampling matrix along one axis.

    Output pixel ``o`` covers the input interval ``[o * n_in / n_out, (o + 1) * n_in /
    n_out)``; its weight on input pixel ``i`` is the overlap of that interval with
    ``[i, i + 1)``, divided by the interval's length, so each row sums to 1.
    """
    scale = n_in / n_out
    starts = np.arange(n_out)[:, None] * scale
    ends = starts + scale
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(ends, pixel + 1) - np.maximum(starts, pixel), 0.0, None)
    return overlap / scale


def pad_to_square(stack: np.ndarray) -> np.ndarray:
    """Zero-pad the last two axes, centred, to a square (a square stack is returned as is)."""
    height, width = stack.shape[-2:]
    side = max(height, width)
    if height == width:
        return stack
    pad_h, pad_w = side - height, side - width
    pads = [(0, 0)] * (stack.ndim - 2) + [(pad_h // 2, pad_h - pad_h // 2),
                                          (pad_w // 2, pad_w - pad_w // 2)]
    return np.pad(stack, pads)


def resize_area(stack: np.ndarray, size: int) -> np.ndarray:
    """Area-resample the last two axes of a square ``stack`` to ``size`` x ``size`` (float64)."""
    height, width = stack.shape[-2:]
    if height == width == size:
        return stack.astype(np.float64)
    rows, cols = area_weights(height, size), area_weights(width, size)
    # The separable 2D box filter as two plain 2D matrix products (one BLAS call each;
    # a broadcast matmul over the batch is many times slower).
    batch = stack.reshape(-1, height, width).astype(np.float64)
    narrow = (batch.reshape(-1, width) @ cols.T).reshape(-1, height, size)
    out = np.tensordot(rows, narrow, axes=([1], [1]))  # (size, batch, size)
    return np.ascontiguousarray(out.transpose(1, 0, 2)).reshape(*stack.shape[:-2], size, size)


def resize_mask(stack: np.ndarray, size: int) -> np.ndarray:
    """Resize a boolean mask stack: a pixel is set where coverage exceeds one half.

    Exact ties (coverage = 1/2, frequent with rational scale factors) are *not* set;
    the small tolerance makes that hold whatever the rounding of the sum was.
    """
    return resize_area(stack.astype(np.float64), size) > MASK_COVERAGE + COVERAGE_TOLERANCE


def extract_slices(
    channels: Sequence[np.ndarray],
    seg: np.ndarray,
    brain: np.ndarray,
    *,
    count: int,
    step: int,
    size: int,
    region: str = "whole",
) -> CaseSlices:
    """The training slices of one case (see the module notes for every convention).

    ``count`` slices ``step`` apart around the largest whole-tumour slice, prepared by
    :func:`slices_at` (``channels``, ``seg``, ``brain``, ``size`` and ``region`` as there).
    """
    index = select_slices((seg > 0).sum(axis=(0, 1)), count, step)
    return slices_at(channels, seg, brain, index, size, region)


def slices_at(channels: Sequence[np.ndarray], seg: np.ndarray, brain: np.ndarray,
              index: np.ndarray, size: int, region: str = "whole") -> CaseSlices:
    """The axial slices ``index`` of one case, prepared exactly as for training.

    The one place that turns volumes into network inputs: the slice dataset and the
    viewer's explain / similar-cases slices both come from here.

    Parameters
    ----------
    channels
        3D volumes of the chosen modalities, in channel order, all one shape.
    seg
        Canonical segmentation of the same shape.
    brain
        Boolean brain mask (any modality > 0); the tumour is added.
    index
        Axial indices (third voxel axis).
    size, region
        Output side length in pixels; the guidance region stored as the tumour mask.
    """
    whole = seg > 0
    brain = brain | whole
    index = np.asarray(index, dtype=np.int64)
    brain_2d = axial_slices(brain, index)
    # Statistics of the healthy tissue only: with the tumour included, a large bright
    # oedema (more often high grade) shifts the clip bounds, mean and spread, so the
    # whole brain's normalised grey level would tell the grade outside the tumour.
    healthy = brain & ~whole
    reference = healthy if healthy.any() else brain
    images = np.stack(
        [normalise(axial_slices(vol, index), brain_2d, brain_statistics(vol, reference))
         for vol in channels], axis=1)
    images = resize_area(pad_to_square(images), size).astype(np.float32)
    tumour_2d = region_mask(axial_slices(seg, index), region)  # only the chosen slices
    return CaseSlices(
        images=images,
        tumor_masks=resize_mask(pad_to_square(tumour_2d), size),
        brain_masks=resize_mask(pad_to_square(brain_2d), size),
        slice_index=index,
    )


def split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Largest-remainder rounding of ``n * fractions`` (sums to ``n``; ties go to the first)."""
    exact = [n * f for f in fractions]
    counts = [int(np.floor(x)) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def split_cases(
    grades: Mapping[str, str],
    fractions: Sequence[float] = (0.7, 0.2, 0.1),
    seed: int = 0,
    names: Sequence[str] = ("train", "val", "test"),
) -> dict[str, str]:
    """Assign each case to a split, stratified by grade, reproducibly.

    Parameters
    ----------
    grades
        Case id -> grade (``"HGG"`` / ``"LGG"``, or any other group name).
    fractions
        Fraction of each grade's cases per split, in the order of ``names``.
    seed
        Seed of the shuffle; the same ids, grades and seed give the same split.

    Returns
    -------
    dict
        Case id -> split name.
    """
    result: dict[str, str] = {}
    for grade in sorted(set(grades.values())):
        ids = sorted(case for case, g in grades.items() if g == grade)
        # One stream per grade, keyed by its name, so the grades do not disturb each other.
        rng = np.random.default_rng([seed, *grade.encode()])
        shuffled = [ids[i] for i in rng.permutation(len(ids))]
        start = 0
        for name, count in zip(names, split_counts(len(ids), fractions)):
            for case in shuffled[start:start + count]:
                result[case] = name
            start += count
    return result
