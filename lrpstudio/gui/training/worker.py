"""The training job in a QThread: the app's job events become Qt signals carrying numpy copies.

The worker never touches a widget. It runs :func:`lrpstudio.app.training.run_job`;
everything it hands to the GUI thread is a plain Python value or a numpy array the job
copied and no longer uses, sent through a queued signal; the GUI flips the job's
control token (pause, resume, cancel), which is thread-safe by construction.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable

import torch
from PySide6 import QtCore

from lrpstudio.app.training import JobEvents, TrainControl, TrainJob, run_job
from lrpstudio.gui.common.workers import guard_gc

log = logging.getLogger(__name__)

__all__ = ["TrainJob", "TrainingWorker", "interface_threads"]


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


class TrainingWorker(QtCore.QThread):
    """Runs :func:`lrpstudio.app.training.run_job` for one :class:`TrainJob`.

    Signals
    -------
    dataset_ready(int, int)
        Training and validation slice counts, once the dataset is built.
    data_reported(object)
        :func:`~lrpstudio.app.datasets.data_report` of the dataset: slices per
        split and grade, the balance used and its warnings (plain values).
    epoch_started(int, int)
        Epoch (from 1) and the number of epochs.
    batch_done(int, object)
        Global step and the batch's parts (dict of floats: epoch, batch, batches, ce,
        guidance, total, score...).
    epoch_done(int, object)
        Epoch and its metrics row (dict of floats).
    pinned_ready(object)
        :func:`~lrpstudio.app.training.pinned_inputs` of the pinned slices (before their first heatmaps).
    heatmaps_ready(int, object)
        Epoch and the engine's heatmap arrays (copies).
    message(str)
        A log line.
    finished_run(object)
        The :class:`~lrpstudio.app.training.RunResult`.
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

    def start(self, *args: Any) -> None:  # noqa: D102 - QThread.start, with the GC guard
        guard_gc(self)
        super().start(*args)

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            result = run_job(self.job, self._events(), self.control, self._fewer_threads)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the GUI
            log.exception("training failed")
            self.failed.emit(error)
            return
        self.finished_run.emit(result)

    @staticmethod
    def _fewer_threads() -> Callable[[], None]:
        """Leave a core to the interface while training; returns what puts it back."""
        threads = torch.get_num_threads()
        torch.set_num_threads(interface_threads(threads, _cores()))
        return lambda: torch.set_num_threads(threads)

    def _events(self) -> JobEvents:
        def on_data(n_train: int, n_val: int, report: dict[str, Any]) -> None:
            self.dataset_ready.emit(n_train, n_val)
            self.data_reported.emit(report)

        return JobEvents(on_data=on_data, on_epoch_start=self.epoch_started.emit,
                         on_batch=self.batch_done.emit, on_epoch_end=self.epoch_done.emit,
                         on_pinned=self.pinned_ready.emit, on_heatmaps=self.heatmaps_ready.emit,
                         on_log=self.message.emit)

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
