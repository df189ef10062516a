"""Where the model looked during training: a per-epoch record and the per-case shortcut report.

After every epoch the training engine explains, for each validation case, its
``SLICES_PER_CASE = 2`` slices with the largest tumour (one batched LRP pass with the run's
composite, in eval mode; a fixed per-case sample keeps the cost to a few percent of an
epoch, see ``benchmarks/bench_review.py``) and writes, per slice, the
prediction, P(HGG), TumorLRPScore and the shares of positive relevance in the tumour, on
the brain edge, inside the brain and on the background
(:mod:`lrpstudio.core.review.outside`) to ``RUN/review/epoch_XXX.npz``, atomically. A
resumed run redoes an interrupted epoch and overwrites its file, so the record always
holds one file per finished epoch.

The report (:func:`epoch_report`) averages each case's slices per epoch and flags:

- **background / edge**: at the last epoch at least ``EDGE_LEVEL = 0.25`` of the case's
  positive relevance lies on the brain edge or the background;
- **moved away**: the case's tumour share fell by at least ``MOVE_LEVEL = 0.10`` from its
  highest epoch to the last one (the relevance moved away from the tumour while training).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrpstudio.core.atomic import atomic_write, make_dirs
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import CheckpointError
from lrpstudio.core.review.queue import review_slices

__all__ = ["EDGE_LEVEL", "MOVE_LEVEL", "REVIEW_DIR", "SLICES_PER_CASE", "CaseTrend", "epoch_report",
           "read_epoch_records", "record_epoch", "recorded_rows"]

#: Folder of the per-epoch records inside a run folder.
REVIEW_DIR = "review"
EDGE_LEVEL = 0.25
#: Validation slices recorded per case (those with the largest tumours).
SLICES_PER_CASE = 2
MOVE_LEVEL = 0.10
_FILE = re.compile(r"^epoch_(\d+)\.npz$")
_FIELDS = ("case_ids", "z", "labels", "predictions", "probability_hgg", "score", "tumour", "edge",
           "inside_brain", "background")


def recorded_rows(val_set: SliceDataset, per_case: int = SLICES_PER_CASE) -> np.ndarray:
    """Rows of ``val_set`` to record: each case's ``per_case`` largest-tumour slices (ties: lower z)."""
    areas = val_set.tumor_masks.reshape(len(val_set), -1).sum(axis=1)
    chosen: list[int] = []
    for case_id in sorted(set(val_set.case_ids.tolist())):
        rows = [int(r) for r in np.flatnonzero((val_set.case_ids == case_id) & (areas > 0))]
        rows.sort(key=lambda r: (-int(areas[r]), int(val_set.slice_index[r])))
        chosen.extend(rows[:per_case])
    return np.asarray(sorted(chosen), dtype=np.int64)


def record_epoch(run_dir: str | Path, epoch: int, model: torch.nn.Module, val_set: SliceDataset,
                 composite: str, batch_size: int = 32) -> Path | None:
    """Explain ``val_set``'s recorded slices and write ``review/epoch_XXX.npz``; None when it has none."""
    reviews = review_slices(model, val_set, composite, rows=recorded_rows(val_set), batch_size=batch_size,
                            components=0)
    if not reviews:
        return None
    arrays: dict[str, Any] = {
        "case_ids": np.asarray([r.case_id for r in reviews], dtype=str),
        "z": np.asarray([r.z for r in reviews], dtype=np.int64),
        "labels": np.asarray([r.label for r in reviews], dtype=np.int64),
        "predictions": np.asarray([r.prediction for r in reviews], dtype=np.int64),
        "probability_hgg": np.asarray([r.probability_hgg for r in reviews]),
        "score": np.asarray([r.score for r in reviews]),
        "tumour": np.asarray([r.fractions.tumour for r in reviews]),
        "edge": np.asarray([r.fractions.edge for r in reviews]),
        "inside_brain": np.asarray([r.fractions.inside_brain for r in reviews]),
        "background": np.asarray([r.fractions.background for r in reviews]),
    }
    folder = make_dirs(Path(run_dir) / REVIEW_DIR)
    return atomic_write(folder / f"epoch_{int(epoch):03d}.npz",
                        lambda handle: np.savez_compressed(handle, **arrays))


def read_epoch_records(run_dir: str | Path) -> dict[int, dict[str, np.ndarray]]:
    """The run's per-epoch records by epoch (empty when it has none).

    Raises
    ------
    CheckpointError
        A record file cannot be read or lacks a field (one line naming the file).
    """
    folder = Path(run_dir) / REVIEW_DIR
    records: dict[int, dict[str, np.ndarray]] = {}
    if not folder.is_dir():
        return records
    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if match is None:
            continue
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise CheckpointError(f"cannot read the epoch record: {error}", path) from error
        missing = sorted(set(_FIELDS) - set(arrays))
        if missing:
            raise CheckpointError("the epoch record lacks fields", path, expected=list(_FIELDS),
                                  actual=sorted(arrays))
        records[int(match.group(1))] = arrays
    return records


@dataclass(frozen=True)
class CaseTrend:
    """One case's relevance over the epochs (means over its recorded slices).

    Attributes
    ----------
    case_id, grade, slices
        The case, its true grade and how many of its slices were recorded.
    first_tumour, peak_tumour, last_tumour
        Tumour share at the first recorded epoch, at its highest, and at the last.
    peak_epoch
        The epoch of ``peak_tumour``.
    last_edge, last_background
        Brain-edge and background shares at the last epoch.
    flags
        ``"background / edge"`` and / or ``"moved away"`` (see the module docstring).
    """

    case_id: str
    grade: str
    slices: int
    first_tumour: float
    peak_tumour: float
    peak_epoch: int
    last_tumour: float
    last_edge: float
    last_background: float
    flags: tuple[str, ...]


def _case_means(arrays: dict[str, np.ndarray], case_id: str, field: str) -> float:
    values = arrays[field][arrays["case_ids"] == case_id]
    return float(values.mean()) if values.size else float("nan")


def _trend(records: dict[int, dict[str, np.ndarray]], case_id: str) -> CaseTrend:
    epochs = sorted(records)
    last = records[epochs[-1]]
    tumour = {e: _case_means(records[e], case_id, "tumour") for e in epochs}
    seen = {e: t for e, t in tumour.items() if np.isfinite(t)}
    peak_epoch = min(seen, key=lambda e: (-seen[e], e))
    rows = last["case_ids"] == case_id
    label = int(last["labels"][rows][0]) if rows.any() else 0
    trend = CaseTrend(case_id=case_id, grade=GRADES[label], slices=int(rows.sum()),
                      first_tumour=seen[min(seen)], peak_tumour=seen[peak_epoch], peak_epoch=peak_epoch,
                      last_tumour=tumour[epochs[-1]], last_edge=_case_means(last, case_id, "edge"),
                      last_background=_case_means(last, case_id, "background"), flags=())
    flags = []
    if trend.last_edge + trend.last_background >= EDGE_LEVEL:
        flags.append("background / edge")
    if trend.peak_tumour - trend.last_tumour >= MOVE_LEVEL:
        flags.append("moved away")
    return CaseTrend(**{**trend.__dict__, "flags": tuple(flags)})


def epoch_report(records: dict[int, dict[str, np.ndarray]]) -> list[CaseTrend]:
    """Per case of the last epoch's record: its trend, flagged cases first.

    Order: cases with more flags first, then by the largest of (edge + background) and
    the fall from the peak, then by case id.
    """
    if not records:
        return []
    last = records[max(records)]
    trends = [_trend(records, str(c)) for c in sorted(set(last["case_ids"].tolist()))]

    def order(t: CaseTrend) -> tuple[int, float, str]:
        worst = max(t.last_edge + t.last_background, t.peak_tumour - t.last_tumour)
        return (-len(t.flags), -worst, t.case_id)

    return sorted(trends, key=order)
