"""Background work for the GUI: run a core call in a QThread, report through signals.

Core long jobs take a progress callback ``(done, total, message)``; the worker turns it
into a Qt signal so the GUI thread updates widgets. Results cross the thread boundary as
Python objects; array results should be copies the worker no longer touches.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6 import QtCore

log = logging.getLogger(__name__)


class CancelToken:
    """A thread-safe flag a long job polls to stop early."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()


class Worker(QtCore.QThread):
    """Runs ``job(progress, cancel)`` off the GUI thread.

    Signals
    -------
    progress(int, int, str)
        Forwarded from the job's callback.
    succeeded(object)
        The job's return value.
    failed(object)
        The exception the job raised (the traceback is logged here).
    """

    progress = QtCore.Signal(int, int, str)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(object)

    def __init__(self, job: Callable[[Callable[[int, int, str], None], CancelToken], Any],
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self.token = CancelToken()
        #: Set when the job ends; read them after ``wait()`` (signals may still be queued).
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            self.result = self._job(self._report, self.token)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the GUI
            log.exception("background job failed")
            self.error = error
            self.failed.emit(error)
            return
        self.succeeded.emit(self.result)

    def _report(self, done: int, total: int, message: str = "") -> None:
        self.progress.emit(int(done), int(total), str(message))
