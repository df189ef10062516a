"""The reviewer's verdicts on a queue entry, as the front ends use them.

"add to mask": :func:`add_to_mask` paints a suggested component into the case's edit
session as one normal undoable, journaled step (the expert still saves);
"artefact": :class:`ArtefactStore` adds it to the case's artefact region, which training
can treat as a forbidden region (``TrainConfig.forbidden_weight``); "fine": only the
entry's state changes (:class:`QueueStateStore`).
"""

from __future__ import annotations

import numpy as np

from lrpstudio.core.editing.history import Step
from lrpstudio.core.editing.session import EditSession
from lrpstudio.app.slices import ViewerSlice
from lrpstudio.core.review.suggest import extend_over_similar_tissue
from lrpstudio.core.review.verdicts import (
    STATES, VERDICTS, ArtefactRegionError, ArtefactStore, EntryState, QueueStateStore,
)

__all__ = ["STATES", "VERDICTS", "ArtefactRegionError", "ArtefactStore", "EntryState",
           "QueueStateStore", "add_to_mask", "extended_suggestion"]

#: The undo-history name of the step :func:`add_to_mask` makes.
ADD_STEP_NAME = "add suggested region"


def add_to_mask(session: EditSession, z: int, plane_mask: np.ndarray, label: int,
                intensity: np.ndarray | None = None, low: float | None = None,
                high: float | None = None) -> Step | None:
    """Add the voxels of ``plane_mask`` at axial slice ``z`` to the mask with ``label``.

    Parameters
    ----------
    session
        The case's edit session.
    z
        Axial slice index (third voxel axis).
    plane_mask
        Boolean ``(X, Y)`` plane of the voxels to add (e.g. an outside-mask component).
    label
        The tumour label painted (1, 2 or 3); other tumour labels are never overwritten.
    intensity, low, high
        Optional intensity limit ``low <= intensity <= high`` (a bound may be None);
        ``intensity`` is the plane ``(X, Y)`` or the volume, default the session's
        reference modality.

    Returns
    -------
    Step | None
        The undo step "add suggested region", or None when no voxel changed.
    """
    return session.add_mask(plane_mask, label, ADD_STEP_NAME, z=z, intensity=intensity,
                            low=low, high=high)


def extended_suggestion(plane_mask: np.ndarray, current: ViewerSlice, intensity: np.ndarray) -> np.ndarray:
    """A component grown over the similar tissue connected to it, on the viewer's slice.

    See :mod:`lrpstudio.core.review.suggest`: the range is taken from ``intensity`` (the
    volume shown, e.g. FLAIR) under the component; the region grows inside the brain (any
    modality > 0) and outside the current mask.

    Parameters
    ----------
    plane_mask
        bool ``(X, Y)``: the component at slice ``current.z``.
    current
        The viewer's slice (its mask as it is now).
    intensity
        The volume whose intensities define "similar".
    """
    z = current.z
    brain = np.zeros(plane_mask.shape, dtype=bool)
    for volume in current.images.values():
        brain |= volume[:, :, z] > 0
    outside = brain if current.seg is None else brain & (current.seg[:, :, z] == 0)
    return extend_over_similar_tissue(plane_mask, intensity[:, :, z], outside)
