"""The viewer's current slice as a network input, prepared exactly like the slice dataset.

Explain, the Fig. 5 comparison and similar cases all start from the slice the user
looks at. :class:`ViewerSlice` captures it (a copy of the mask as it is now, possibly
corrected and not yet saved); :func:`prepare_viewer_slice` turns it into the network's
input through :func:`lrpstudio.core.data.slicing.slices_at`, the one place that turns
volumes into inputs (``volume[:, :, z].T``, per channel normalisation inside the brain,
zero-pad to square, area resize).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from lrpstudio.app.run_info import RunDataSettings
from lrpstudio.core.data.slicing import slices_at

__all__ = ["PreparedSlice", "ViewerSlice", "capture", "prepare_viewer_slice"]


@dataclass(frozen=True)
class ViewerSlice:
    """The viewer's current axial slice, captured for a worker thread.

    Attributes
    ----------
    case_id, grade
        The open case and its grade (None when unknown).
    images
        Its volumes by modality (voxel order of the files).
    seg
        A copy of the viewer's canonical mask (edits made later do not reach it), or None.
    z
        Axial index (third voxel axis).
    """

    case_id: str
    images: Mapping[str, np.ndarray]
    seg: np.ndarray | None
    z: int
    grade: str | None


@dataclass(frozen=True)
class PreparedSlice:
    """A slice as the network sees it.

    Attributes
    ----------
    image
        float32 (C, S, S), the run's channels.
    tumour, brain
        bool (S, S): the guidance region and the brain.
    """

    image: np.ndarray
    tumour: np.ndarray
    brain: np.ndarray


def capture(case_id: str, grade: str | None, images: Mapping[str, np.ndarray],
            seg: np.ndarray | None, z: int) -> ViewerSlice:
    """A :class:`ViewerSlice` of what the viewer shows now (the mask is copied)."""
    mask = None if seg is None else np.array(seg, copy=True)
    return ViewerSlice(str(case_id), dict(images), mask, int(z), grade)


def prepare_viewer_slice(current: ViewerSlice, settings: RunDataSettings) -> PreparedSlice:
    """Prepare ``current`` with a run's channels, image size and guidance region.

    The brain is the case's brain mask (any modality > 0), as when the dataset was made.
    """
    images = current.images
    shape = next(iter(images.values())).shape
    seg = np.zeros(shape, np.uint8) if current.seg is None else current.seg
    brain = np.zeros(shape, bool)
    for volume in images.values():
        brain = brain | (volume > 0)
    prepared = slices_at([images[c] for c in settings.channels], seg, brain,
                         np.asarray([int(current.z)]), settings.image_size, settings.region)
    return PreparedSlice(prepared.images[0], prepared.tumor_masks[0], prepared.brain_masks[0])
