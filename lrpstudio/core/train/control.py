"""A thread-safe pause / resume / cancel token for long jobs.

The training engine (and any other long job) polls the token between units of work
(batches); a front end flips it from another thread: the GUI from its main thread, the
CLI from a SIGINT handler. Built on :class:`threading.Event`, so no lock is held while
the job waits.
"""

from __future__ import annotations

import threading


class TrainControl:
    """Pause, resume and cancel a running job from any thread.

    The job calls :meth:`checkpoint` between units of work: it returns at once while
    running, blocks while paused, and returns ``True`` once cancellation is requested.
    """

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        """Ask the job to stop at the next unit boundary and wait there."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused job continue."""
        self._running.set()

    def cancel(self) -> None:
        """Ask the job to stop at the next unit boundary; also releases a paused job."""
        self._cancelled.set()
        self._running.set()  # a paused job must wake up to see the cancellation

    @property
    def paused(self) -> bool:
        """True while a pause is requested (and no cancellation)."""
        return not self._running.is_set() and not self._cancelled.is_set()

    @property
    def cancelled(self) -> bool:
        """True once cancellation was requested."""
        return self._cancelled.is_set()

    def checkpoint(self, timeout: float | None = None) -> bool:
        """Wait while paused; return True when the job must stop.

        Parameters
        ----------
        timeout
            Longest wait in seconds while paused (None waits until resumed or cancelled).
        """
        self._running.wait(timeout)
        return self._cancelled.is_set()
