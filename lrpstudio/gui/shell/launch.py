"""Start the desktop app: open a folder (or the demo data), show the window or screenshot it.

The demo data is generated on first use into the user's data folder by the core
(``ensure_demo_data``); that takes up to a minute, so it runs in a worker thread behind
a progress dialog while the event loop keeps the window responsive.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Callable

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.demo import ensure_demo_data
from lrpstudio.gui.shell.application import create_application, setup_logging
from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.prompts import Prompter
from lrpstudio.gui.common.workers import Worker

log = logging.getLogger(__name__)


def run_in_background(parent: QtWidgets.QWidget | None, title: str,
                      job: Callable[[Callable[[int, int, str], None], Any], Any]) -> Any:
    """Run ``job(progress, cancel)`` in a worker behind a progress dialog; return its result.

    A local event loop keeps the GUI painting while the job runs; the job's exception is
    re-raised here, in the GUI thread, so the caller's error boundary reports it.
    """
    dialog = QtWidgets.QProgressDialog(title, "", 0, 0, parent)
    dialog.setWindowTitle("lrpstudio")
    dialog.setCancelButton(None)  # generation cannot be cut short safely
    dialog.setMinimumDuration(0)
    dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    worker = Worker(job)
    loop = QtCore.QEventLoop()
    worker.finished.connect(loop.quit)

    def show_progress(done: int, total: int, message: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(done)
        if message:
            dialog.setLabelText(f"{title}\n{message}")

    worker.progress.connect(show_progress)
    dialog.show()
    worker.start()
    if not worker.isFinished():
        loop.exec()
    worker.wait()
    dialog.close()
    if worker.error is not None:
        raise worker.error
    return worker.result


def demo_root(parent: QtWidgets.QWidget | None) -> Path:
    """The demo data folder, generated first (with a progress dialog) when missing."""
    return Path(run_in_background(parent, "Preparing the demo data (first launch only)…",
                                  lambda progress, cancel: ensure_demo_data(progress=progress,
                                                                           cancel=cancel)))


def screenshot(window: QtWidgets.QWidget, out: Path) -> Path:
    """Render ``window`` to a PNG after letting pending paints and layouts finish."""
    app = QtWidgets.QApplication.instance()
    for _ in range(5):
        if app is None:
            break
        app.processEvents()
        # processEvents() leaves deleteLater() to the event loop; a script has none.
        app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise OSError(f"{out}: could not write the screenshot")
    return out


def run_gui(path: Path | None = None, shot: Path | None = None,
            workspace: Path | None = None, prompter: Prompter | None = None) -> int:
    """Open the app on ``path``; with ``shot`` save a PNG of the window and exit.

    Without ``path`` the most recently opened folder is opened again, and on the very
    first launch the built-in demo data (generated on first use).

    Returns
    -------
    int
        The process exit code.
    """
    app = create_application()
    log_file = setup_logging()
    window = MainWindow(prompter=prompter)
    previous_hook = sys.excepthook
    sys.excepthook = window.reporter.excepthook
    log.info("lrpstudio gui started; log file %s", log_file)
    try:
        return _run(app, window, path, shot, workspace)
    finally:
        sys.excepthook = previous_hook


def start_folder(window: MainWindow, path: Path | None) -> Path:
    """What to open: ``path``; else the most recent folder; else (first launch) the demo."""
    if path is not None:
        return Path(path)
    recent = window.recent.items()
    return recent[0] if recent else demo_root(window)


def _run(app: QtWidgets.QApplication, window: MainWindow, path: Path | None,
         shot: Path | None, workspace: Path | None) -> int:
    """Open the data, then either run the event loop or save the screenshot."""
    window.show()
    if shot is None:
        window.loader.background = True  # cases load in a worker; the window stays live
        # Interactive: a bad folder is one dialog in a working window, not a dead app.
        window.run_guarded(lambda: window.open_path(start_folder(window, path), workspace))
        return int(app.exec())
    # A screenshot never asks questions: recovery journals are left for the next launch.
    window.open_path(start_folder(window, path), workspace, offer_restore=False)
    window.remember_placement = False  # a screenshot's size is not the user's
    window.resize(1500, 900)
    screenshot(window, Path(shot))
    window.controller.detach()
    window.close()
    return 0
