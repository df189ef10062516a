"""The built-in demo data for the window: generated on first use behind a progress dialog.

The core generates it into the user's data folder (``ensure_demo_data``); that takes up
to a minute, so it runs in a worker thread behind a progress dialog while the event
loop keeps the window responsive. The launch opens it on the very first start, and
File > Open demo data at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.demo import ensure_demo_data
from lrpstudio.gui.common.workers import Worker


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
