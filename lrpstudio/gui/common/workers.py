"""Background work for the GUI: run a core call in a QThread, report through signals.

Core long jobs take a progress callback ``(done, total, message)``; the worker turns it
into a Qt signal so the GUI thread updates widgets. Results cross the thread boundary as
Python objects; array results should be copies the worker no longer touches.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from typing import Any, Callable

from PySide6 import QtCore

from lrpstudio.core.errors import CancelledError

log = logging.getLogger(__name__)


class MainThreadCollector(QtCore.QObject):
    """Keeps Python's cyclic garbage collection in the GUI thread while workers run.

    Python runs its cyclic collector in whichever thread happens to allocate. When that is
    a worker thread and the garbage holds Qt widgets (a closed dialog, an old window),
    their C++ destructors run there: a widget destroyed outside the GUI thread waits for a
    Qt lock the GUI thread holds while it waits for the GIL — a deadlock (seen in a test
    that trained in a QThread). While any worker runs, automatic collection is off and a
    timer in the GUI thread collects instead, the approach of pyqtgraph's
    ``GarbageCollector``; the last worker to finish turns it back on.

    Everything alive when the first worker starts is frozen (``gc.freeze``): a full
    collection over the ~470,000 objects of a loaded app takes about 210 ms here, which
    stalled the GUI during training; over only the objects made since, it takes well under
    a millisecond. The last worker to finish unfreezes them. Neither step walks the
    objects: the count of long-lived ones that the full-collection rule needs is carried
    across the freeze (what was long-lived before plus what was promoted since), because
    recounting them by listing the oldest generation took 70-130 ms in the GUI thread
    each time a run ended.

    Other threads allocate too (the thread pools that scan and prepare data), so the
    application keeps collection in the GUI thread for its whole life (:meth:`keep`,
    called by :func:`keep_collection_in_gui_thread`): a collection that ran in a pool
    thread freed a closed window there and crashed the process (seen in the tests).

    While workers run, the GIL is also handed back to the GUI thread sooner
    (``sys.setswitchinterval``, :attr:`switch_interval_s`): a repaint lets go of the GIL
    at each call into Qt and, with Python's default 5 ms, waited up to that long to get
    it back from the training thread each time, so a 30 ms repaint stalled the window
    for 50-70 ms. The last worker to finish restores the interval.
    """

    OBJECT_NAME = "lrpstudio-main-thread-gc"
    #: GIL switch interval while workers run (s); None leaves Python's own.
    SWITCH_INTERVAL_S: float | None = 0.0005

    def __init__(self, parent: QtCore.QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.setObjectName(self.OBJECT_NAME)
        self._holders = 0
        self._was_enabled = True
        self._kept = False
        self._pending = 0  # objects promoted to generation 2 since the last full collection
        self._long_lived = 0  # generation 2's size after the last full collection
        self._frozen = 0  # long-lived objects set aside by gc.freeze while workers run
        self.switch_interval_s = self.SWITCH_INTERVAL_S
        self._switch_before = sys.getswitchinterval()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)

    @property
    def holders(self) -> int:
        """How many running workers hold automatic collection off."""
        return self._holders

    @property
    def kept(self) -> bool:
        """True when collection stays in the GUI thread for the application's life."""
        return self._kept

    def keep(self) -> None:
        """Collect only from the GUI thread from now on, workers or not."""
        if not self._kept:
            self._kept = True
            self._stop_automatic()

    def hold(self) -> None:
        """A worker starts: collect only from the GUI thread, over objects made from now on."""
        if self._holders == 0:
            if self._kept:  # our own counts are current: carry them over the freeze
                young = len(gc.get_objects(0)) + len(gc.get_objects(1))  # few: listed
                self._frozen = self._long_lived + self._pending + young
            else:  # Python's collector ran until now: count once, in C, without a list
                self._stop_automatic(recount=False)
            gc.freeze()
            if not self._kept:
                self._frozen = gc.get_freeze_count()
            self._long_lived = self._pending = 0  # full passes now see only what is new
            self._switch_before = sys.getswitchinterval()
            if self.switch_interval_s is not None:
                sys.setswitchinterval(min(self._switch_before, self.switch_interval_s))
        self._holders += 1

    def release(self) -> None:
        """A worker ended; the last one unfreezes (and, unless kept, restores automatic collection)."""
        self._holders = max(0, self._holders - 1)
        if self._holders == 0:
            gc.unfreeze()  # the next collection sees everything again
            # The unfrozen objects are long-lived, not new: added to the count, not listed.
            self._long_lived, self._frozen = self._long_lived + self._frozen, 0
            sys.setswitchinterval(self._switch_before)
            if not self._kept:
                self._timer.stop()
                if self._was_enabled:
                    gc.enable()

    def _stop_automatic(self, recount: bool = True) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        if recount:
            self._recount()
        self._timer.start()

    def unkeep(self) -> None:
        """Give collection back to Python (tests of non-GUI code run after GUI tests)."""
        if self._kept and self._holders == 0:
            self._kept = False
            self._timer.stop()
            if self._was_enabled:
                gc.enable()

    def collect(self) -> None:
        """Collect as CPython's automatic collector would, but in this (the GUI) thread.

        Generations 0 and 1 when their allocation counts pass the thresholds. A full
        collection also needs, as in CPython, the objects promoted to the oldest generation
        since the last one to exceed a quarter of those that lived through it: a full pass
        over a loaded app's ~750,000 objects takes about half a second, and without that
        rule it ran about once a minute while the app was in use.
        """
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        if counts[1] <= thresholds[1]:
            gc.collect(0)
            return
        if counts[2] <= thresholds[2] or self._pending <= self._long_lived // 4:
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            found = gc.collect(1)
            self._pending += max(0, young - found)  # the survivors moved to generation 2
            return
        gc.collect(2)
        self._recount()

    def _recount(self) -> None:
        """Start counting promotions afresh from the oldest generation's size now.

        Lists the oldest generation (frozen objects excluded): cheap during a freeze, but
        over a loaded app's unfrozen objects it takes tens of milliseconds, so only the
        rare full collection and :meth:`keep` call it.
        """
        self._pending = 0
        self._long_lived = len(gc.get_objects(2))


def _collector(app: QtCore.QCoreApplication) -> MainThreadCollector:
    collector = app.findChild(MainThreadCollector, MainThreadCollector.OBJECT_NAME)
    return collector if collector is not None else MainThreadCollector(app)


def keep_collection_in_gui_thread(app: QtCore.QCoreApplication) -> MainThreadCollector:
    """Collect cyclic garbage only in the GUI thread for the rest of ``app``'s life.

    Call it once, in the GUI thread, after creating the application.
    """
    collector = _collector(app)
    collector.keep()
    return collector


def guard_gc(thread: QtCore.QThread) -> None:
    """Hold GUI-thread-only garbage collection for as long as ``thread`` runs.

    Call it in the GUI thread just before ``thread.start()``.
    """
    app = QtCore.QCoreApplication.instance()
    if app is None:
        return
    collector = _collector(app)
    collector.hold()
    thread.finished.connect(collector.release)


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

    def start(self, *args: Any) -> None:  # noqa: D102 - QThread.start, with the GC guard
        guard_gc(self)
        super().start(*args)

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            self.result = self._job(self._report, self.token)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the GUI
            if isinstance(error, CancelledError):  # asked for: not a fault, no traceback in the log
                log.info("background job cancelled: %s", error)
            else:
                log.exception("background job failed")
            self.error = error
            self.failed.emit(error)
            return
        self.succeeded.emit(self.result)

    def _report(self, done: int, total: int, message: str = "") -> None:
        self.progress.emit(int(done), int(total), str(message))
