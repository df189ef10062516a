"""The viewer's label table and compare mode: the original mask against the corrected one.

The *original* mask is the segmentation on disk in the data folder; the *corrected* one is
what the viewer edits (the workspace correction, with the current edit session's strokes).
The numbers come from :mod:`lrpstudio.core.editing.label_stats`; this module finds and
reads the original for a loaded case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lrpstudio.core.data.case import Case
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS
from lrpstudio.core.data.validation import seg_to_canonical
from lrpstudio.core.data.volume_io import read_volume
from lrpstudio.core.editing.label_stats import (
    ADDED,
    RELABELLED,
    REMOVED,
    SAME,
    TUMOUR_LABELS,
    LabelRow,
    dice_per_label,
    difference_map,
    label_table,
    voxel_ml,
)
from lrpstudio.core.errors import GeometryMismatchError

__all__ = ["ADDED", "RELABELLED", "REMOVED", "SAME", "TUMOUR_LABELS", "LabelRow", "case_table",
           "dice_per_label", "difference_map", "label_table", "original_seg", "voxel_ml"]


def original_seg(case: Case) -> np.ndarray | None:
    """The case's segmentation as stored in the data folder (canonical labels), or None.

    When no workspace correction was loaded, ``case.seg`` was read from that file; it is
    read again all the same, because an edit session changes ``case.seg`` in place.

    Raises
    ------
    InputError
        The file cannot be read, holds labels the release does not define, or its shape
        differs from the case's (naming the file).
    """
    path = case.files.get("seg")
    if path is None or not Path(path).is_file():
        return None
    volume = read_volume(path)
    if volume.array.shape != tuple(case.shape):
        raise GeometryMismatchError("original segmentation's shape differs from the case's", path,
                                    expected=tuple(case.shape), actual=volume.array.shape)
    return seg_to_canonical(volume.array, LABEL_CONVENTIONS[case.release], Path(path), case.release)


def case_table(case: Case, corrected: np.ndarray, original: np.ndarray | None) -> list[LabelRow]:
    """The label table of ``case``: ``corrected`` (the mask being edited) beside ``original``."""
    return label_table(corrected, original, case.affine)
