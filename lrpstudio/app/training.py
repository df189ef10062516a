"""The training job: build the data, train with the core engine, report through plain callbacks.

What the desktop app's worker thread runs and what ``lrpstudio train --resume`` uses:

- :class:`TrainJob` is one start or resume of a run; :func:`new_job` and
  :func:`resume_job` make them. A resume always rebuilds the run's *recorded*
  preparation (:func:`lrpstudio.app.run_info.recorded_preparation`), so the data
  matches what the run trained on whatever a form or the command line says now;
- :func:`run_job` builds the dataset, trains with
  :func:`lrpstudio.core.train.engine.fit` and calls :class:`JobEvents` (plain
  callables: a worker turns them into signals). It also finds the pinned slices'
  inputs for the Fig. 7 view (:func:`pinned_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lrpstudio.app.datasets import data_report, open_slices
from lrpstudio.app.run_info import read_metrics, recorded_preparation, train_config
from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.data.workspace import Workspace
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import RunResult, TrainCallbacks, fit
from lrpstudio.core.render.colours import display_channel, input_rgba
from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.pinned import pinned_pool, saved_pinned_rows
from lrpstudio.core.train.user_pins import read_pins

__all__ = ["DatasetProvider", "JobEvents", "RunResult", "TrainControl", "TrainJob", "new_job",
           "outcome", "pinned_inputs", "resume_config", "resume_job", "run_job", "user_pins"]

#: Builds the slice dataset where the job runs (preparing BraTS volumes can take minutes).
DatasetProvider = Callable[[], SliceDataset]


@dataclass(frozen=True)
class TrainJob:
    """One start (or resume) of a run.

    Attributes
    ----------
    config
        The training settings.
    dataset
        Called where the job runs to get the slice dataset.
    run_dir
        The run folder.
    resume
        Continue the run in ``run_dir`` from its last checkpoint.
    """

    config: TrainConfig
    dataset: DatasetProvider
    run_dir: Path
    resume: bool = False


def data_provider(source: str | Path, config: PrepareConfig | None,
                  workspace: Workspace | None) -> DatasetProvider:
    """A provider of the slice dataset of ``source`` (see :func:`lrpstudio.app.datasets.open_slices`).

    Only plain values are captured, so the provider may run in any thread.
    """
    return lambda: open_slices(source, config, workspace)


def user_pins(workspace: Workspace | None) -> tuple[tuple[str, int], ...]:
    """The slices pinned in the viewer for this workspace (explained first in Fig. 7)."""
    return read_pins(workspace.root) if workspace is not None else ()


def new_job(config: TrainConfig, source: str | Path, preparation: PrepareConfig,
            workspace: Workspace | None, run_dir: str | Path) -> TrainJob:
    """A new run on ``source`` with ``config``; the workspace's pinned slices come first in Fig. 7."""
    config = replace(config, pinned_slices=user_pins(workspace))
    return TrainJob(config, data_provider(source, preparation, workspace), Path(run_dir))


def resume_config(saved: TrainConfig, epochs: int | None = None, device: str | None = None) -> TrainConfig:
    """A run's saved settings with what may change on resume: the epoch total and the device."""
    return replace(saved, epochs=epochs or saved.epochs, device=device or saved.device)


def resume_job(run_dir: str | Path, source: str | Path, workspace: Workspace | None,
               epochs: int | None = None, device: str | None = None,
               fallback: PrepareConfig | None = None) -> TrainJob:
    """Continue ``run_dir`` on ``source``, rebuilding the preparation the run recorded.

    Parameters
    ----------
    run_dir
        The run to continue.
    source, workspace
        The data it trained on (a data folder with its workspace, or a prepared dataset).
    epochs, device
        The new epoch total and device (None: the run's).
    fallback
        The preparation for a run that recorded none (runs of older versions).
    """
    config = resume_config(train_config(run_dir), epochs, device)
    preparation = recorded_preparation(run_dir) or fallback
    return TrainJob(config, data_provider(source, preparation, workspace), Path(run_dir), resume=True)


def outcome(result: RunResult) -> dict[str, Any]:
    """How a training call ended, as plain values: what ``lrpstudio train --json`` prints.

    Returns
    -------
    dict
        run (folder), status, epochs_done, best_epoch, best_metrics (the best epoch's
        metrics row, empty when none) and collapse (None, or words such as "predicts HGG
        for every validation slice" when the best epoch's model tells no grades apart).
    """
    best = result.history[result.best_epoch - 1] if result.best_epoch else {}
    collapse = collapse_message(best.get("val_predicted_hgg", float("nan")))
    return {"run": str(result.run_dir), "status": result.status, "epochs_done": result.epochs_done,
            "best_epoch": result.best_epoch, "best_metrics": best, "collapse": collapse}


def pinned_inputs(dataset: SliceDataset, rows: np.ndarray) -> dict[str, Any]:
    """What the Fig. 7 view shows beside each heatmap: grey input, mask, label, title, picture.

    The pictures (``"pictures"``: the input in grey with the tumour outline, RGBA) are
    drawn here, in the job's thread: drawing six of them took 13 ms of the GUI thread at
    a run's start, while the training competed for the processor.

    Parameters
    ----------
    dataset
        The validation split the engine pinned ``rows`` of (the training split when
        there is no validation split, as in the engine), or the whole dataset when the
        run has user-pinned slices (see :func:`lrpstudio.core.train.pinned.pinned_pool`).
    rows
        Rows of the pinned slices in ``dataset``.
    """
    channel = display_channel(dataset.channels)
    images = np.array(dataset.images[rows, channel], dtype=np.float32, copy=True)
    masks = np.array(dataset.tumor_masks[rows], dtype=bool, copy=True)
    return {
        "images": images,
        "masks": masks,
        "labels": np.array(dataset.labels[rows], dtype=np.int64, copy=True),
        "titles": [f"{dataset.case_ids[r]} z{int(dataset.slice_index[r])}" for r in rows],
        "pictures": [input_rgba(image, mask) for image, mask in zip(images, masks)],
    }


def _ignore(*_args: Any) -> None:
    return None


@dataclass(frozen=True)
class JobEvents:
    """What a running job reports, as plain callables (a worker turns them into signals).

    Attributes
    ----------
    on_data
        ``(train slices, validation slices, data report)`` once the dataset is built.
    on_epoch_start
        ``(epoch from 1, epochs)``.
    on_batch
        ``(global step, parts)``: the batch's loss parts (floats).
    on_epoch_end
        ``(epoch, metrics row)``.
    on_pinned
        :func:`pinned_inputs` of the pinned slices (before their first heatmaps).
    on_heatmaps
        ``(epoch, arrays)``: the engine's heatmap arrays, copied.
    on_log
        A log line.
    """

    on_data: Callable[[int, int, dict[str, Any]], None] = _ignore
    on_epoch_start: Callable[[int, int], None] = _ignore
    on_batch: Callable[[int, dict[str, float]], None] = _ignore
    on_epoch_end: Callable[[int, dict[str, float]], None] = _ignore
    on_pinned: Callable[[dict[str, Any]], None] = _ignore
    on_heatmaps: Callable[[int, dict[str, Any]], None] = _ignore
    on_log: Callable[[str], None] = _ignore


def _copy(arrays: dict[str, Any]) -> dict[str, Any]:
    return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}


class _PinnedSlices:
    """Sends the pinned slices' inputs once: at the first epoch of a resume, else with the
    first heatmaps (when the engine has chosen them)."""

    def __init__(self, job: TrainJob, dataset: SliceDataset, events: JobEvents) -> None:
        train, val = dataset.subset("train"), dataset.subset("val")
        self.job, self.events = job, events
        self.val = val if len(val) else train  # the engine's own fallback
        self.all = dataset  # user-pinned slices index the whole dataset
        self.sent = False

    def epoch_started(self) -> None:
        if not self.job.resume or self.sent:
            return
        saved = saved_pinned_rows(self.job.run_dir)  # fit accepted the run's data by now
        pool = self.all if saved is not None and saved[0] == "all" else self.val
        if saved is None or not saved[1].size or saved[1].max() >= len(pool):
            return  # not chosen yet (or other data: the resume will say so)
        self.events.on_pinned(pinned_inputs(pool, saved[1]))
        self.sent = True

    def heatmaps(self, arrays: dict[str, Any]) -> None:
        if self.sent:
            return
        pool = self.all if pinned_pool(self.job.run_dir) == "all" else self.val
        self.events.on_pinned(pinned_inputs(pool, np.asarray(arrays["rows"])))
        self.sent = True


def run_job(job: TrainJob, events: JobEvents, control: TrainControl,
            before_fit: Callable[[], Callable[[], None]] | None = None) -> RunResult:
    """Build the job's dataset, then train (or resume) its run.

    Parameters
    ----------
    job
        What to train.
    events
        Where progress goes.
    control
        Pause, resume and cancel (a job cancelled while its data was prepared ends
        ``cancelled`` without training).
    before_fit
        Called just before training; returns what to call after it (e.g. a worker
        that lowers and restores the compute thread count).

    Returns
    -------
    RunResult
        How the run ended.
    """
    dataset = job.dataset()
    events.on_data(len(dataset.subset("train")), len(dataset.subset("val")), data_report(dataset))
    if control.cancelled:  # stopped while the data was prepared
        return RunResult(run_dir=Path(job.run_dir), status="cancelled",
                         epochs_done=len(read_metrics(job.run_dir)), best_epoch=0, history=[])
    pinned = _PinnedSlices(job, dataset, events)

    def epoch_start(epoch: int, epochs: int) -> None:
        pinned.epoch_started()
        events.on_epoch_start(int(epoch), int(epochs))

    def heatmaps(epoch: int, arrays: dict[str, Any]) -> None:
        pinned.heatmaps(arrays)
        events.on_heatmaps(int(epoch), _copy(arrays))

    callbacks = TrainCallbacks(
        on_epoch_start=epoch_start,
        on_batch=lambda step, parts: events.on_batch(int(step), dict(parts)),
        on_epoch_end=lambda epoch, row: events.on_epoch_end(int(epoch), dict(row)),
        on_heatmaps=heatmaps, on_log=lambda text: events.on_log(str(text)))
    after = before_fit() if before_fit is not None else None
    try:
        return fit(job.config, dataset, callbacks, control, job.run_dir, resume=job.resume)
    finally:
        if after is not None:
            after()
