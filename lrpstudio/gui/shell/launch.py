"""Start the desktop app: open a folder (or the demo data), show the window or screenshot it.

An interactive launch restores the last session (:mod:`lrpstudio.gui.shell.session`):
the dock layout and training form first, then the folder, and in it the last case and
slice. A screenshot run starts from the defaults and saves nothing.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.shell.application import create_application, setup_logging
from lrpstudio.gui.shell.demo_data import demo_root
from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.prompts import Prompter
from lrpstudio.gui.shell.session import default_dock_widths, go_to_last_case, last_case_for, restore_layout

log = logging.getLogger(__name__)


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
    if shot is None:
        restored = restore_layout(window, window.session_memory)
        window.show()
        if not restored:
            default_dock_widths(window)
        window.loader.background = True  # cases load in a worker; the window stays live
        # Interactive: a bad folder is one dialog in a working window, not a dead app.
        window.run_guarded(lambda: open_start(window, path, workspace))
        return int(app.exec())
    window.remember_session = False  # a screenshot's folder, size and form are not the user's
    window.show()
    # A screenshot never asks questions: recovery journals are left for the next launch.
    window.open_path(start_folder(window, path), workspace, offer_restore=False)
    window.resize(1500, 900)
    default_dock_widths(window)
    screenshot(window, Path(shot))
    window.controller.detach()
    window.close()
    return 0


def open_start(window: MainWindow, path: Path | None, workspace: Path | None) -> None:
    """Open the start folder, at the last case and slice when it is the folder last shown."""
    folder = start_folder(window, path)
    last = last_case_for(window.session_memory, Path(workspace) if workspace is not None else folder)
    if last is not None:
        go_to_last_case(window, last)
    window.open_path(folder, workspace, case_id=last.case_id if last is not None else None)
