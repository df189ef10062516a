"""Saving the corrected mask on a worker thread, with its progress in the status bar.

A save writes a compressed NIfTI and reads it back to check it, which takes a
noticeable moment on a full-size volume. The mask is copied on the GUI thread
(:meth:`EditSession.begin_save`), written on a worker (``write_snapshot``) and marked
saved back on the GUI thread (``finish_save``). The status bar names each stage (checking,
compressing, writing, reading back) and a bar fills with them. Editing is paused while the file is
written (the tool and edit actions are disabled and the views only navigate): the
journal is rebased onto the saved mask, so no step may slip in between. Viewing,
scrolling and the other tabs stay live. A failed save leaves the session dirty, its
edits and its journal intact, and is reported once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.editing import EditSession
from lrpstudio.gui.common.workers import CancelToken, Worker

log = logging.getLogger(__name__)

#: Action ids paused while a save runs (everything that edits the mask, and saving again).
PAUSED_PREFIXES: tuple[str, ...] = ("tool.", "edit.", "label.", "file.save")


class MaskSaver(QtCore.QObject):
    """Runs one save at a time off the GUI thread.

    Parameters
    ----------
    status_bar
        Receives the progress bar while a save runs.
    actions
        The window's actions; the editing ones are paused during a save.
    pause_tools, resume_tools
        Take the editing tool off the views, and give it back.
    report
        Shows a failure (one dialog) — ``report(error, context)``.

    Signals
    -------
    finished(object)
        The saved file, or None when the save failed.
    """

    finished = QtCore.Signal(object)

    def __init__(self, status_bar: QtWidgets.QStatusBar, actions: dict[str, QtGui.QAction],
                 pause_tools: Callable[[], None], resume_tools: Callable[[], None],
                 report: Callable[[BaseException, str], None],
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.pause_tools, self.resume_tools = pause_tools, resume_tools
        self.report = report
        self.bar = QtWidgets.QProgressBar(status_bar)
        self.bar.setMaximumWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.bar.setToolTip("Saving the corrected mask")
        # Permanent: a temporary message ("Tool: fill") would be drawn over a normal widget.
        self.status_bar = status_bar
        status_bar.addPermanentWidget(self.bar)
        self.bar.hide()
        self._worker: Worker | None = None
        self._done: Callable[[Path], None] | None = None
        self._session: EditSession | None = None
        self._ticket: Any = None
        self._enabled: dict[str, bool] = {}
        self._name = ""

    @property
    def busy(self) -> bool:
        """Whether a save is running."""
        return self._worker is not None

    def save(self, session: EditSession, name: str, on_saved: Callable[[Path], None], *,
             wait: bool = False) -> None:
        """Save ``session``'s mask as its case's correction; ``on_saved(path)`` afterwards.

        With ``wait`` the call returns when the file is written and raises the error of
        a failed save (the caller reports it); otherwise a failure is reported here.
        """
        if self.busy:
            self.wait()
        self._session, self._done, self._name = session, on_saved, name
        self._ticket = session.begin_save()
        ticket = self._ticket
        self._pause(True, name)

        def job(progress: Callable[[int, int, str], None], _cancel: CancelToken) -> Path:
            # Not cancellable: a half-written correction is never left (atomic write).
            return Path(session.write_snapshot(ticket, progress=progress))

        worker = Worker(job, self)
        worker.progress.connect(self._on_progress)
        # Bound slots of this GUI-thread object: the signals arrive queued, on the GUI thread.
        worker.succeeded.connect(self._on_worker_signal)
        worker.failed.connect(self._on_worker_signal)
        self._worker = worker
        worker.start()
        if wait:
            self.wait(raise_error=True)

    def wait(self, raise_error: bool = False) -> None:
        """Block until the running save ends and finish it here (closing, switching case)."""
        worker = self._worker
        if worker is None:
            return
        self._end(worker, raise_error)

    @QtCore.Slot(int, int, str)
    def _on_progress(self, done: int, total: int, stage: str) -> None:
        """A stage of the save: the bar fills, the status bar names the stage."""
        if self._worker is None or self.sender() is not self._worker:
            return
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.status_bar.showMessage(f"Saving {self._name}: {stage}…")

    @QtCore.Slot(object)
    def _on_worker_signal(self, _payload: object) -> None:
        worker = self.sender()
        if isinstance(worker, Worker):  # a signal of a save already finished by wait() is ignored
            self._end(worker)

    def _end(self, worker: Worker, raise_error: bool = False) -> None:
        """Finish the save of ``worker`` (once: the queued signal may come after a wait)."""
        if worker is not self._worker:
            return
        worker.wait()  # it emitted its last signal; let run() return
        self._worker = None
        self._pause(False, "")
        session, ticket, done = self._session, self._ticket, self._done
        self._session = self._ticket = self._done = None
        error = worker.error
        if error is None:
            try:
                assert session is not None
                session.finish_save(ticket, worker.result)
            except Exception as late:  # noqa: BLE001 - reported below like a failed write
                error = late
        worker.deleteLater()
        if error is not None:
            self.finished.emit(None)
            if raise_error:
                raise error
            self.report(error, "save failed; the edits are kept")
            return
        path = Path(worker.result)
        if done is not None:
            done(path)
        self.finished.emit(path)

    def _pause(self, pause: bool, name: str) -> None:
        """Pause (or resume) editing and show (or hide) the progress bar."""
        paused = [i for i in self.actions if i.startswith(PAUSED_PREFIXES)]
        if pause:
            self._enabled = {i: self.actions[i].isEnabled() for i in paused}
            for action_id in paused:
                self.actions[action_id].setEnabled(False)
            self.pause_tools()
            self.bar.setRange(0, 0)  # busy until the first stage is reported
            self.status_bar.showMessage(f"Saving {name}…")  # replaced by "Saved …" or the error
        else:
            for action_id, enabled in self._enabled.items():
                self.actions[action_id].setEnabled(enabled)
            self.resume_tools()
        self.bar.setVisible(pause)
