"""The slice dataset of whatever the user named: a prepared dataset, a data folder or a workspace.

Both front ends resolve DATA_OR_DATASET here. A prepared dataset is loaded as it is; a
BraTS folder (or a workspace standing for one) is prepared into its workspace, the one
:func:`lrpstudio.app.workspace.workspace_for` names, with the corrected masks that
workspace holds, and reused while nothing changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from lrpstudio.app.workspace import resolve_data
from lrpstudio.core.data.balance import balance_warnings
from lrpstudio.core.data.prepare import dataset_from, is_prepared_dataset
from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.data.slice_dataset import GRADES, SPLITS, SliceDataset
from lrpstudio.core.data.workspace import Workspace

__all__ = ["GRADES", "SPLITS", "PrepareConfig", "SliceDataset", "class_counts", "data_report", "open_slices"]

#: ``progress(done, total, message)`` as the core's long operations call it.
Progress = Callable[[int, int, str], None]


def open_slices(path: str | Path, config: PrepareConfig | None = None,
                workspace: Workspace | None = None, progress: Progress | None = None,
                cancel: Any = None, *, jobs: int | None = None) -> SliceDataset:
    """The slice dataset ``path`` names, prepared into its workspace when it is a data folder.

    Parameters
    ----------
    path
        A prepared dataset folder (or its ``slices.npz``), a BraTS data folder or a
        workspace folder.
    config
        How to prepare a data folder (None: the defaults; ignored for a prepared dataset).
    workspace
        The workspace to prepare into and take corrections from; None applies the one
        workspace rule (:func:`lrpstudio.app.workspace.workspace_for`).
    progress, cancel, jobs
        Passed to the core's preparation.

    Raises
    ------
    DatasetError
        ``path`` holds neither a dataset nor any case.
    """
    path = Path(path)
    if workspace is None and path.is_dir() and not is_prepared_dataset(path):
        _root, workspace = resolve_data(path)
    return dataset_from(path, config, workspace, progress, cancel, jobs=jobs)


def class_counts(dataset: SliceDataset) -> dict[str, dict[str, int]]:
    """Slices per split and grade (``split -> grade -> n``), counted in the arrays themselves.

    Counted rather than read from the manifest's ``counts``, which datasets prepared
    before that field existed do not have.
    """
    labels = np.asarray(dataset.labels)
    return {split: {grade: int(((dataset.split == split) & (labels == k)).sum())
                    for k, grade in enumerate(GRADES)} for split in SPLITS}


def data_report(dataset: SliceDataset) -> dict[str, Any]:
    """What a run's data is, as plain values (a worker thread sends it to the interface).

    Returns
    -------
    dict
        counts (``split -> grade -> slices``), warnings (one line per split worse than
        60/40, see :func:`lrpstudio.core.data.balance.balance_warnings`) and balance (the
        manifest's record of how the slices per case were chosen; empty when it has none).
    """
    counts = class_counts(dataset)
    balance = dataset.manifest.get("balance", {}) if isinstance(dataset.manifest, dict) else {}
    return {"counts": counts, "warnings": balance_warnings(counts),
            "balance": balance if isinstance(balance, dict) else {}}
