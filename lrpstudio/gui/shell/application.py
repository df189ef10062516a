"""QApplication setup and the GUI's error boundary.

The error boundary turns any exception that reaches the event loop into **one** dialog
(never a cascade) plus a full traceback in ``gui.log`` in the user's log folder. A core
:class:`~lrpstudio.core.errors.LrpStudioError` is shown as its one-line message; any
other exception as an internal error that points at the log file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Callable

os.environ.setdefault("QT_API", "pyside6")  # pyqtgraph must pick PySide6

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402 - after QT_API: pyqtgraph reads it

from lrpstudio import __version__  # noqa: E402 - after QT_API, as above
from lrpstudio.core.errors import LrpStudioError, storage_error  # noqa: E402 - after QT_API
from lrpstudio.core.paths import resources_root, user_log_dir  # noqa: E402 - after QT_API
from lrpstudio.gui.common.workers import keep_collection_in_gui_thread  # noqa: E402 - after QT_API

log = logging.getLogger("lrpstudio.gui")

LOG_NAME = "gui.log"


def setup_logging() -> Path:
    """Send lrpstudio's log records to ``gui.log`` in the user's log folder (rotated)."""
    folder = user_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    root = logging.getLogger("lrpstudio")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return path


def user_message(error: BaseException) -> str:
    """The one line a user sees for an error."""
    if isinstance(error, LrpStudioError):
        return error.message()
    if isinstance(error, OSError):  # a full disk or a permission: the path and what to do
        return storage_error(error, action="read or write").message()
    return (f"Internal error: {type(error).__name__}: {error}\n"
            f"Details are in {user_log_dir() / LOG_NAME}")


class ErrorReporter(QtCore.QObject):
    """Shows one error dialog at a time and logs every error with its traceback.

    Parameters
    ----------
    parent_widget
        Returns the window the dialog belongs to (may return None).
    status
        Called with a short message for the status bar.
    """

    def __init__(self, parent_widget: Callable[[], QtWidgets.QWidget | None] = lambda: None,
                 status: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self._parent_widget = parent_widget
        self._status = status
        self._dialog: QtWidgets.QMessageBox | None = None
        self.last_message: str | None = None

    def report(self, error: BaseException, context: str = "") -> None:
        """Log ``error`` and show it, unless a dialog is already open."""
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error("%s%s", f"{context}: " if context else "", tb)
        message = user_message(error)
        self.last_message = f"{context}: {message}" if context else message
        if self._status is not None:
            self._status(f"Error: {self.last_message.splitlines()[0]}")
        if self._dialog is not None and self._dialog.isVisible():
            return  # one dialog, not a cascade: the rest are in the log
        box = QtWidgets.QMessageBox(self._parent_widget())
        box.setIcon(QtWidgets.QMessageBox.Icon.Critical)
        box.setWindowTitle("lrpstudio")
        box.setText(self.last_message)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialog = box
        box.open()  # non-blocking: the event loop (and tests) keep running

    def excepthook(self, kind: type[BaseException], error: BaseException,
                   tb: TracebackType | None) -> None:
        """``sys.excepthook`` replacement: exceptions in slots reach :meth:`report`."""
        if issubclass(kind, KeyboardInterrupt):
            QtWidgets.QApplication.quit()
            return
        error.__traceback__ = tb
        sys.__excepthook__(kind, error, tb)  # a console user sees it too
        self.report(error)


def create_application(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The QApplication (the existing one if any), configured for lrpstudio."""
    existing = QtWidgets.QApplication.instance()
    if isinstance(existing, QtWidgets.QApplication):
        return existing
    # Fractional scale factors (150 %) render crisply instead of rounding to 1x or 2x.
    QtGui.QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QtWidgets.QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("lrpstudio")
    app.setOrganizationName("lrpstudio")
    app.setApplicationVersion(__version__)
    icon = resources_root() / "icons" / "app.svg"
    if icon.exists():
        app.setWindowIcon(QtGui.QIcon(str(icon)))
    style = resources_root() / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    keep_collection_in_gui_thread(app)  # never free Qt objects in a pool thread
    return app
