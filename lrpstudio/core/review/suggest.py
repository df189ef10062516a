"""A suggested component grown over the tissue that looks like it: the "add to mask" extension.

An outside component is a blob of strong relevance, not an outline: where the mask
missed part of a tumour, the model's relevance covers some of the missing tissue, rarely
all of it. The extension takes the intensities under the component (one image, on its
axial plane) as the tissue's range, the ``PERCENTILES`` (10th to 90th, so a few stray
voxels do not widen it), and adds every voxel that is in that range, allowed (inside the
brain, not yet in the mask) and 4-connected to the component through such voxels, with
the holes it encloses filled: the seeded region growing of an editor, seeded by the model.

On a development set (40 demo cases, oedema removed from four masks; FLAIR) the
components alone restored 61 % of the missing tumour on the 35 reviewed slices of those
cases, adding 0.11 wrong voxels per restored one; extended, 89 %, at 0.22. A 5th-95th
range leaked over healthy tissue (2.7 wrong voxels per restored one): the range is the
trade-off, and the result is a normal undoable step the expert sees before saving.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lrpstudio.core.errors import InputError

__all__ = ["PERCENTILES", "extend_over_similar_tissue"]

#: The component's intensity range: these percentiles of the values under it.
PERCENTILES: tuple[float, float] = (10.0, 90.0)
_FOUR = ndimage.generate_binary_structure(2, 1)


def extend_over_similar_tissue(component: np.ndarray, intensity: np.ndarray, allowed: np.ndarray,
                               percentiles: tuple[float, float] = PERCENTILES) -> np.ndarray:
    """The component plus the allowed voxels of similar intensity connected to it.

    Parameters
    ----------
    component
        bool ``(I, J)``: the suggested voxels on the axial plane.
    intensity
        ``(I, J)`` image values on the same plane (e.g. FLAIR for oedema).
    allowed
        bool ``(I, J)``: where the region may grow (e.g. the brain minus the mask).
    percentiles
        The range ``[low, high]`` as percentiles of ``intensity`` under the component.

    Returns
    -------
    numpy.ndarray
        bool ``(I, J)``: the component (where allowed) and what grew from it.
    """
    component = np.asarray(component, dtype=bool)
    allowed = np.asarray(allowed, dtype=bool)
    intensity = np.asarray(intensity)
    if not component.shape == intensity.shape == allowed.shape:
        raise InputError("the component, the image and the allowed region must share one plane",
                         expected=component.shape, actual=(intensity.shape, allowed.shape))
    seeds = component & allowed
    if not seeds.any():
        return seeds
    low, high = np.percentile(intensity[seeds].astype(np.float64), percentiles)
    similar = allowed & (intensity >= low) & (intensity <= high)
    labels, _ = ndimage.label(similar | seeds, structure=_FOUR)
    touched = np.unique(labels[seeds])
    grown = np.isin(labels, touched[touched > 0])
    # Noise puts a fifth of the tissue's voxels outside its own 10-90 % range: the ones
    # the grown region encloses belong to it.
    return ndimage.binary_fill_holes(grown) & allowed
