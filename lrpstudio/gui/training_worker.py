"""The training job in a QThread: core callbacks become Qt signals carrying numpy copies.

The worker never touches a widget. Everything it hands to the GUI thread is a plain
Python value or a numpy array it copied and no longer uses, sent through a queued
signal; the GUI flips the :class:`~lrpstudio.core.train.control.TrainControl` token
(pause, resume, cancel), which is thread-safe by construction.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PySide6 import QtCore

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import RunResult, TrainCallbacks, fit
from lrpstudio.core.train.heatmaps import display_channel
from lrpstudio.core.train.pinned import pinned_pool, saved_pinned_rows
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.gui.training_status import data_report
from lrpstudio.gui.workers import guard_gc

log = logging.getLogger(__name__)

#: Builds the slice dataset inside the worker (preparing BraTS volumes can take minutes).
DatasetProvider = Callable[[], SliceDataset]


@dataclass(frozen=True)
class TrainJob:
    """One start (or resume) of a run.

    Attributes
    ----------
    config
        The training settings.
    dataset
        Called in the worker thread to get the slice dataset.
    run_dir
        The run folder.
    resume
        Continue the run in ``run_dir`` from its last checkpoint.
    """

    config: TrainConfig
    dataset: DatasetProvider
    run_dir: Path
    resume: bool = False


def pinned_inputs(dataset: SliceDataset, rows: np.ndarray) -> dict[str, Any]:
    """What the Fig. 7 view shows beside each heatmap: grey input, mask, label, title.

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
    return {
        "images": np.array(dataset.images[rows, channel], dtype=np.float32, copy=True),
        "masks": np.array(dataset.tumor_masks[rows], dtype=bool, copy=True),
        "labels": np.array(dataset.labels[rows], dtype=np.int64, copy=True),
        "titles": [f"{dataset.case_ids[r]} z{int(dataset.slice_index[r])}" for r in rows],
    }


def interface_threads(current: int, cores: int | None) -> int:
    """Compute threads for training behind the interface: every core but one.

    With every core busy in the training's thread pool, the GUI thread has to wait for
    a core whenever it wakes up: on 2 cores its redraws took twice their CPU time and
    the event loop stalled for up to 90 ms. Leaving one core free keeps it responsive;
    the training loses 1/n of its compute.

    Parameters
    ----------
    current
        torch's thread count now (never raised).
    cores
        Cores this process may use (None when unknown: ``current`` is kept).
    """
    if cores is None:
        return current
    return max(1, min(current, cores - 1))


def _cores() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


def _copy(arrays: dict[str, Any]) -> dict[str, Any]:
    return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}


class TrainingWorker(QtCore.QThread):
    """Runs :func:`lrpstudio.core.train.engine.fit` for one :class:`TrainJob`.

    Signals
    -------
    dataset_ready(int, int)
        Training and validation slice counts, once the dataset is built.
    data_reported(object)
        :func:`~lrpstudio.gui.training_status.data_report` of the dataset: slices per
        split and grade, the balance used and its warnings (plain values).
    epoch_started(int, int)
        Epoch (from 1) and the number of epochs.
    batch_done(int, object)
        Global step and the batch's parts (dict of floats: epoch, batch, batches, ce,
        guidance, total, score...).
    epoch_done(int, object)
        Epoch and its metrics row (dict of floats).
    pinned_ready(object)
        :func:`pinned_inputs` of the pinned slices (before their first heatmaps).
    heatmaps_ready(int, object)
        Epoch and the engine's heatmap arrays (copies).
    message(str)
        A log line.
    finished_run(object)
        The :class:`~lrpstudio.core.train.engine.RunResult`.
    failed(object)
        The exception that ended the job.
    """

    dataset_ready = QtCore.Signal(int, int)
    data_reported = QtCore.Signal(object)
    epoch_started = QtCore.Signal(int, int)
    batch_done = QtCore.Signal(int, object)
    epoch_done = QtCore.Signal(int, object)
    pinned_ready = QtCore.Signal(object)
    heatmaps_ready = QtCore.Signal(int, object)
    message = QtCore.Signal(str)
    finished_run = QtCore.Signal(object)
    failed = QtCore.Signal(object)

    def __init__(self, job: TrainJob, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.control = TrainControl()
        self._val: SliceDataset | None = None
        self._all: SliceDataset | None = None
        self._pinned_sent = False

    def start(self, *args: Any) -> None:  # noqa: D102 - QThread.start, with the GC guard
        guard_gc(self)
        super().start(*args)

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            dataset = self.job.dataset()
            train, val = dataset.subset("train"), dataset.subset("val")
            self._val = val if len(val) else train  # the engine's own fallback
            self._all = dataset  # user-pinned slices index the whole dataset
            self.dataset_ready.emit(len(train), len(val))
            self.data_reported.emit(data_report(dataset))
            if self.control.cancelled:  # stopped while the data was prepared
                result = RunResult(run_dir=Path(self.job.run_dir), status="cancelled",
                                   epochs_done=len(RunFolder(self.job.run_dir).read_metrics()),
                                   best_epoch=0, history=[])
            else:
                result = self._fit(dataset)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the GUI
            log.exception("training failed")
            self.failed.emit(error)
            return
        self.finished_run.emit(result)

    def _fit(self, dataset: SliceDataset) -> Any:
        threads = torch.get_num_threads()
        torch.set_num_threads(interface_threads(threads, _cores()))
        try:
            return fit(self.job.config, dataset, self._callbacks(), self.control,
                       self.job.run_dir, resume=self.job.resume)
        finally:
            torch.set_num_threads(threads)

    def _callbacks(self) -> TrainCallbacks:
        return TrainCallbacks(
            on_epoch_start=self._on_epoch_start,
            on_batch=lambda step, parts: self.batch_done.emit(int(step), dict(parts)),
            on_epoch_end=lambda e, row: self.epoch_done.emit(int(e), dict(row)),
            on_heatmaps=self._on_heatmaps,
            on_log=lambda text: self.message.emit(str(text)),
        )

    def _on_epoch_start(self, epoch: int, epochs: int) -> None:
        if self.job.resume and not self._pinned_sent:  # fit accepted the run's data by now
            self._send_saved_pins()
        self.epoch_started.emit(int(epoch), int(epochs))

    def _send_saved_pins(self) -> None:
        """A resumed run shows its pinned slices at once, beside the heatmaps it saved."""
        saved = saved_pinned_rows(self.job.run_dir)
        pool = self._all if saved is not None and saved[0] == "all" else self._val
        if saved is None or pool is None or not saved[1].size or saved[1].max() >= len(pool):
            return  # not chosen yet (or other data: the resume will say so)
        self.pinned_ready.emit(pinned_inputs(pool, saved[1]))
        self._pinned_sent = True

    def _on_heatmaps(self, epoch: int, arrays: dict[str, np.ndarray]) -> None:
        if not self._pinned_sent and self._val is not None:
            pool = self._all if pinned_pool(self.job.run_dir) == "all" else self._val
            self.pinned_ready.emit(pinned_inputs(pool, np.asarray(arrays["rows"])))
            self._pinned_sent = True
        self.heatmaps_ready.emit(int(epoch), _copy(arrays))

    # -- control, from the GUI thread ---------------------------------------------------
    def pause(self) -> None:
        """Stop at the next batch boundary and wait."""
        self.control.pause()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self.control.resume()

    def stop(self) -> None:
        """Stop at the next batch boundary; the last finished epoch's checkpoint stays."""
        self.control.cancel()
