"""Open cases without freezing the window: load in a worker thread, show when ready.

Reading four modalities and a mask takes about a second on full-size BraTS volumes. In
the interactive app the :class:`CaseLoader` does it in a :class:`~.workers.Worker`; a
newer request makes an older one stale, and its result is dropped (its session closed,
so a restored journal stays on disk). Tests and screenshots use the synchronous mode,
where errors propagate to the caller as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6 import QtCore

from lrpstudio.app.data_source import CaseRow, DataSource, Loaded, load_for_editing
from lrpstudio.gui.common.workers import Worker


class CaseLoader(QtCore.QObject):
    """Loads cases for the window.

    Signals
    -------
    loaded(object)
        A :class:`~lrpstudio.app.data_source.Loaded` for the newest request.
    failed(object, str)
        The exception of the newest request, and its case id.

    Parameters
    ----------
    background
        Load in a worker thread (the app) or in the caller (tests, screenshots).
    """

    loaded = QtCore.Signal(object)
    failed = QtCore.Signal(object, str)

    def __init__(self, parent: QtCore.QObject | None = None, background: bool = False) -> None:
        super().__init__(parent)
        self.background = background
        self._serial = 0
        self._workers: set[Worker] = set()

    @property
    def busy(self) -> bool:
        """Whether a background load is running."""
        return any(w.isRunning() for w in self._workers)

    def request(self, source: DataSource, row: CaseRow, journal: Path | None = None) -> None:
        """Load ``row``; the result arrives through :attr:`loaded` (or :attr:`failed`)."""
        self._serial += 1
        if not self.background:
            self.loaded.emit(load_for_editing(source, row, journal))
            return
        serial = self._serial
        worker = Worker(lambda _progress, _cancel: load_for_editing(source, row, journal), self)
        worker.finished.connect(lambda: self._done(worker, serial, row.case_id))
        self._workers.add(worker)
        worker.start()

    def _done(self, worker: Worker, serial: int, case_id: str) -> None:
        self._workers.discard(worker)
        worker.deleteLater()
        if serial != self._serial:  # the user asked for another case meanwhile
            if isinstance(worker.result, Loaded):
                worker.result.session.close()
            return
        if worker.error is not None:
            self.failed.emit(worker.error, case_id)
        else:
            self.loaded.emit(worker.result)

    def when_loaded(self, case_id: str, then: Callable[[], object]) -> None:
        """Call ``then`` once, when the next case delivered is ``case_id`` (not if another one is)."""
        def once(loaded: Loaded) -> None:
            self.loaded.disconnect(once)
            if loaded.case.id == case_id:
                then()

        self.loaded.connect(once)

    def cancel(self) -> None:
        """Make every running load stale (its result is dropped)."""
        self._serial += 1

    def wait(self) -> None:
        """Block until running loads end (before the window closes)."""
        for worker in list(self._workers):
            worker.wait()
