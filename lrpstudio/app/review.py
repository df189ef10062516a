"""The review queue of a run: which slices to look at because the model looks outside the mask.

:func:`build_queue` scores every labelled case's tumour slices of the data (all splits,
with the corrected masks of the data's workspace) with the run's best model and ranks
them (:mod:`lrpstudio.core.review.queue`, priority formula in
:mod:`lrpstudio.core.review.priority`); :func:`write_queue` saves it as CSV or JSON.
:func:`component_plane_mask` finds the outside components of the viewer's slice, against
the mask as it is now, and returns one of them on the volume's axial plane (for "add to
mask" or "artefact"). The per-epoch report is :mod:`lrpstudio.app.review_epochs`.

Repeated calls should pass the model from a :class:`~lrpstudio.app.explain.ModelCache`
so the checkpoint is read once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from lrpstudio.app.datasets import open_slices
from lrpstudio.app.explain import ModelCache
from lrpstudio.app.review_files import write_queue_file
from lrpstudio.app.run_info import recorded_preparation, run_data_settings, train_config
from lrpstudio.app.slices import ViewerSlice, prepare_viewer_slice
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.prepare import is_prepared_dataset
from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.data.volume_io import read_header
from lrpstudio.core.errors import InputError, LrpStudioError
from lrpstudio.core.jobs import ProgressCallback
from lrpstudio.core.review.mapping import prepared_mask_to_plane
from lrpstudio.core.review.outside import LISTED_SHARE, OutsideComponent, outside_components
from lrpstudio.core.review.queue import QueueEntry, SliceReview, explain_positive, rank_entries, review_slices
from lrpstudio.core.train.evaluate import check_compatible, load_run_model

__all__ = ["CaseSummary", "ModelCache", "OutsideComponent", "QueueEntry", "ReviewQueue", "build_queue", "case_summaries",
           "component_plane_mask", "entries_by_key", "plane_shapes", "queue_dataset", "viewer_components",
           "write_queue"]

#: What :func:`build_queue` scores: a path (data folder, workspace, prepared dataset) or a dataset.
Source = str | Path | SliceDataset


@dataclass(frozen=True)
class ReviewQueue:
    """A run's ranked review queue.

    Attributes
    ----------
    run_dir
        The run whose best model scored the slices.
    baseline
        The run that gave ``score_before`` / ``outside_before`` (None: none).
    entries
        The slices, rank 1 first.
    """

    run_dir: Path
    baseline: Path | None
    entries: tuple[QueueEntry, ...]


def queue_dataset(run_dir: str | Path, source: Source, progress: ProgressCallback | None = None,
                  cancel: Any = None) -> SliceDataset:
    """The slices of ``source`` prepared as the run's were, with the current corrected masks.

    A data folder or workspace is prepared with the run's recorded preparation (its image
    size, channels and mask region) and ``use_corrections`` on, in the data's workspace;
    a prepared dataset is loaded as it is.
    """
    if isinstance(source, SliceDataset):
        return source
    path = Path(source)
    if is_prepared_dataset(path):
        return open_slices(path)
    recorded = recorded_preparation(run_dir)
    config = (replace(recorded, use_corrections=True) if recorded is not None
              else PrepareConfig(image_size=run_data_settings(run_dir).image_size))
    return open_slices(path, config, progress=progress, cancel=cancel)


def plane_shapes(dataset: SliceDataset) -> dict[str, tuple[int, int]]:
    """``case_id -> (I, J)`` of each case's axial plane, read from the volumes' headers.

    The volumes are found through the dataset's recorded source folder; a dataset whose
    source is gone gives an empty mapping (components are then placed on the network grid).
    """
    source = dataset.manifest.get("source") if isinstance(dataset.manifest, dict) else None
    if not source or not Path(str(source)).is_dir():
        return {}
    wanted = set(dataset.case_ids.tolist())
    shapes: dict[str, tuple[int, int]] = {}
    cases, _problems = discover(Path(str(source)))
    for case in cases:
        if case.id not in wanted or not case.files:
            continue
        try:
            shape = read_header(next(iter(case.files.values()))).shape
        except LrpStudioError:  # an unreadable case: its components stay on the network grid
            continue
        shapes[case.id] = (int(shape[0]), int(shape[1]))
    return shapes


def _phase(progress: ProgressCallback | None, offset: int, total: int) -> ProgressCallback | None:
    """A progress callback of one phase, counted within the whole job."""
    if progress is None:
        return None
    report = progress

    def update(done: int, _total: int, message: str) -> None:
        report(offset + done, total, message)

    return update


def _baseline_reviews(baseline: Path, source: Source, keys: set[str], total: int,
                      progress: ProgressCallback | None, cancel: Any,
                      device: str = "cpu") -> dict[str, SliceReview]:
    """The baseline run's reviews of the queue's slices, by key (its model on ``device``)."""
    model, config, _ = load_run_model(baseline, "best", device)
    dataset = queue_dataset(baseline, source, cancel=cancel)
    check_compatible(config, dataset, baseline)
    rows = np.asarray([i for i in range(len(dataset))
                       if f"{dataset.case_ids[i]}:{int(dataset.slice_index[i])}" in keys], dtype=np.int64)
    found = review_slices(model, dataset, config.composite, rows=rows, batch_size=config.eval_batch_size,
                          components=0, progress=_phase(progress, total // 2, total), cancel=cancel)
    return {r.key: r for r in found}


def build_queue(run_dir: str | Path, source: Source, *, baseline: str | Path | None = None,
                progress: ProgressCallback | None = None, cancel: Any = None,
                model: torch.nn.Module | None = None) -> ReviewQueue:
    """Score and rank every tumour slice of ``source`` with a run's best model.

    Parameters
    ----------
    run_dir
        The run.
    source
        A BraTS data folder or a workspace (prepared as the run's data was, with the
        workspace's corrected masks), a prepared dataset folder, or a :class:`SliceDataset`.
    baseline
        Another run (e.g. before a retrain) scored on the same slices for the before values.
    progress, cancel
        ``progress(done, total, case_id)`` over the slices (both runs); a cancel token.
    model
        The run's best model when already loaded.

    Raises
    ------
    CheckpointError
        The run (or the baseline) is missing or damaged.
    DatasetError
        The data does not fit the model.
    CancelledError
        ``cancel`` asked to stop.
    """
    run_dir = Path(run_dir)
    config = train_config(run_dir)
    if model is None:
        model, config, _ = load_run_model(run_dir, "best")
    dataset = queue_dataset(run_dir, source, cancel=cancel)
    check_compatible(config, dataset, source if not isinstance(source, SliceDataset) else None)
    rows = np.flatnonzero(dataset.tumor_masks.reshape(len(dataset), -1).any(axis=1))
    total = len(rows) * (2 if baseline is not None else 1)
    reviews = review_slices(model, dataset, config.composite, rows=rows, batch_size=config.eval_batch_size,
                            plane_shapes=plane_shapes(dataset), progress=_phase(progress, 0, total),
                            cancel=cancel)
    before = None
    if baseline is not None:
        device = str(next(model.parameters()).device)  # the baseline runs where the run does
        before = _baseline_reviews(Path(baseline), source, {r.key for r in reviews}, total, progress,
                                   cancel, device)
    return ReviewQueue(run_dir=run_dir, baseline=Path(baseline) if baseline is not None else None,
                       entries=rank_entries(reviews, before))


def _label_of(model: torch.nn.Module, image: np.ndarray, grade: str | None) -> int:
    """The class to explain: the true grade, else the prediction (as the Explain dock does)."""
    if grade in GRADES:
        return GRADES.index(str(grade))
    device = next(model.parameters()).device
    with torch.no_grad():
        return int(model.eval()(torch.from_numpy(image[None]).to(device)).argmax(dim=1)[0])


def viewer_components(run_dir: str | Path, current: ViewerSlice, model: torch.nn.Module | None = None,
                      ) -> tuple[list[OutsideComponent], np.ndarray, tuple[int, int]]:
    """The outside components of the viewer's slice against its current mask.

    Returns
    -------
    components, labels, plane_shape
        The components (largest mass first), their ``(S, S)`` label map (``k + 1`` on
        component ``k``) and the ``(I, J)`` shape of the axial plane.
    """
    settings = run_data_settings(run_dir)
    if model is None:
        model = load_run_model(run_dir, "best")[0]
    prepared = prepare_viewer_slice(current, settings)
    label = _label_of(model, prepared.image, current.grade)
    one = SliceDataset(images=prepared.image[None], tumor_masks=prepared.tumour[None],
                       brain_masks=prepared.brain[None], labels=np.asarray([label], np.int64),
                       case_ids=np.asarray([current.case_id]), slice_index=np.asarray([current.z], np.int64),
                       split=np.asarray(["val"]), channels=tuple(settings.channels))
    positive = explain_positive(model, one, np.asarray([0]), train_config(run_dir).composite)[0][0]
    shape = next(iter(current.images.values())).shape
    plane = (int(shape[0]), int(shape[1]))
    components, labels = outside_components(positive, prepared.tumour, prepared.brain, plane,
                                            min_share=LISTED_SHARE)
    return components, labels, plane


def component_plane_mask(run_dir: str | Path, current: ViewerSlice, component: int,
                         model: torch.nn.Module | None = None) -> np.ndarray:
    """The voxels of one outside component of the viewer's slice, on its axial plane.

    Parameters
    ----------
    run_dir
        The run whose best model explains the slice.
    current
        The viewer's slice (the components are found against its mask as it is now).
    component
        The component's index (0 = largest mass), as in :attr:`QueueEntry.components`.
    model
        The run's best model when already loaded.

    Returns
    -------
    numpy.ndarray
        bool ``(I, J)``: the component's voxels at slice ``current.z``.

    Raises
    ------
    InputError
        The slice has no such component.
    """
    components, labels, plane = viewer_components(run_dir, current, model)
    if not 0 <= int(component) < len(components):
        raise InputError(f"the slice has no outside component {component}",
                         expected=f"0..{len(components) - 1}" if components else "none", actual=component)
    return prepared_mask_to_plane(labels == int(component) + 1, plane)


def write_queue(queue: ReviewQueue, path: str | Path) -> Path:
    """Write the queue as ``.csv`` (one row per slice, the largest component's columns) or ``.json``."""
    return write_queue_file(queue.run_dir, queue.baseline, queue.entries, Path(path))


@dataclass(frozen=True)
class CaseSummary:
    """One case of a queue: means over its slices, now and (with a baseline) before.

    Attributes
    ----------
    case_id, label, slices
        The case, its true grade and its number of slices in the queue.
    best_rank
        The rank of its highest entry.
    score, outside
        Mean TumorLRPScore and outside share of its slices.
    score_before, outside_before
        The same for the baseline run (None without one).
    """

    case_id: str
    label: str
    slices: int
    best_rank: int
    score: float
    outside: float
    score_before: float | None
    outside_before: float | None


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(known)) if known else None


def case_summaries(queue: ReviewQueue) -> list[CaseSummary]:
    """Per case: mean score and outside share now and before, in order of the case's best rank."""
    cases: dict[str, list[QueueEntry]] = {}
    for entry in queue.entries:
        cases.setdefault(entry.case_id, []).append(entry)
    out = []
    for case_id, entries in cases.items():
        score = _mean([e.score for e in entries])
        out.append(CaseSummary(
            case_id=case_id, label=entries[0].label, slices=len(entries),
            best_rank=min(e.rank for e in entries), score=float("nan") if score is None else score,
            outside=float(np.mean([e.outside_fraction for e in entries])),
            score_before=_mean([e.score_before for e in entries]),
            outside_before=_mean([e.outside_before for e in entries])))
    return sorted(out, key=lambda c: (c.best_rank, c.case_id))


def entries_by_key(queue: ReviewQueue) -> Mapping[str, QueueEntry]:
    """The queue's entries by key (``"<case_id>:<z>"``)."""
    return {e.key: e for e in queue.entries}
