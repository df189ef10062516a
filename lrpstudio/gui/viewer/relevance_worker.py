"""The relevance layer's background thread: one thread serves a burst of slice changes.

A :class:`~lrpstudio.gui.common.workers.Worker` per computation would start and end a
thread for every slice change; each end gives the GUI thread's garbage-collection guard
back, and with it a recount of every live object (about 130 ms in the GUI thread on a
loaded app, more than the computation itself). This thread stays up while requests keep
coming and ends after a few idle seconds, so the guard is taken and given back once per
burst.

The GUI thread submits one job at a time (:meth:`LayerThread.submit`) and hears the
outcome through :attr:`LayerThread.done`. A job submitted just as the thread decided to
end is not lost: the owner sees ``finished`` with its job unanswered and submits it to a
new thread (:class:`~lrpstudio.gui.viewer.relevance_layer.RelevanceLayer` does).
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from typing import Any, Callable

from PySide6 import QtCore

from lrpstudio.app.relevance_layer import CancelledError
from lrpstudio.gui.common.workers import CancelToken, guard_gc

log = logging.getLogger(__name__)

#: Seconds without a request after which the thread ends.
IDLE_SECONDS = 3.0


@dataclass(frozen=True)
class Job:
    """One computation: ``compute(cancel)`` returns the result; ``key`` identifies it."""

    key: Any
    compute: Callable[[CancelToken], Any]
    token: CancelToken


class LayerThread(QtCore.QThread):
    """Runs submitted jobs one after another; ends when idle.

    Signals
    -------
    done(object, object, object)
        ``(key, result, error)`` of a job: result None when cancelled or failed.
    """

    done = QtCore.Signal(object, object, object)

    def __init__(self, parent: QtCore.QObject | None = None, idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__(parent)
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._idle = idle_seconds

    def start(self, *args: Any) -> None:  # noqa: D102 - QThread.start, with the GC guard
        guard_gc(self)
        super().start(*args)

    def submit(self, job: Job) -> None:
        """Queue ``job`` (the owner submits one at a time)."""
        self._jobs.put(job)

    def stop(self) -> None:
        """Ask the thread to end after the job it runs."""
        self._jobs.put(None)

    def run(self) -> None:  # noqa: D102 - QThread entry point
        while True:
            try:
                job = self._jobs.get(timeout=self._idle)
            except queue.Empty:
                return
            if job is None:
                return
            try:
                result, error = job.compute(job.token), None
            except CancelledError:
                result, error = None, None  # outdated and stopped: not a failure
            except Exception as failure:  # noqa: BLE001 - every failure must reach the GUI
                log.exception("relevance layer computation failed")
                result, error = None, failure
            self.done.emit(job.key, result, error)
