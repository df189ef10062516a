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
from lrpstudio.core.review.verdicts import (
    STATES, VERDICTS, ArtefactRegionError, ArtefactStore, EntryState, QueueStateStore,
)

__all__ = ["STATES", "VERDICTS", "ArtefactRegionError", "ArtefactStore", "EntryState",
           "QueueStateStore", "add_to_mask"]

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
