"""Where the main window opens: the last size, shrunk to the screen's free area, centred.

The size and the maximised state are kept in the GUI settings file
(:class:`~lrpstudio.gui.shell.settings.WindowMemory`); a screen smaller than the
remembered size (a laptop after a desktop monitor) still shows the whole window.
"""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.shell.settings import WindowMemory, WindowPlacement

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1400, 860)  # first launch, before a size is remembered
FRAME_ALLOWANCE = 8  # window-frame border, each side, before the frame exists


def placement_rect(size: QtCore.QSize, area: QtCore.QRect, title: int) -> QtCore.QRect:
    """The window's client rectangle: ``size`` shrunk so that it, a title bar of height
    ``title`` and the frame fit in the screen's available ``area``, centred there."""
    room_w = area.width() - 2 * FRAME_ALLOWANCE
    room_h = area.height() - title - 2 * FRAME_ALLOWANCE
    width, height = min(size.width(), room_w), min(size.height(), room_h)
    return QtCore.QRect(area.left() + FRAME_ALLOWANCE + (room_w - width) // 2,
                        area.top() + title + FRAME_ALLOWANCE + (room_h - height) // 2,
                        width, height)


def place_on_screen(window: QtWidgets.QMainWindow, memory: WindowMemory) -> None:
    """Give ``window`` the last size (or 1400x860), fitted to its screen's free area."""
    saved = memory.load() or WindowPlacement(DEFAULT_SIZE[0], DEFAULT_SIZE[1])
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(saved.width, saved.height)
    else:
        title = window.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_TitleBarHeight)
        window.setGeometry(placement_rect(QtCore.QSize(saved.width, saved.height),
                                          screen.availableGeometry(), title))
    if saved.maximized:
        window.setWindowState(window.windowState() | QtCore.Qt.WindowState.WindowMaximized)


def remember_placement(window: QtWidgets.QMainWindow, memory: WindowMemory) -> None:
    """Save ``window``'s normal size and whether it is maximised."""
    normal = window.normalGeometry() if window.isMaximized() else window.geometry()
    try:
        memory.save(WindowPlacement(normal.width(), normal.height(), window.isMaximized()))
    except OSError as error:  # an unwritable settings folder must not block quitting
        log.warning("could not save the window size: %s", error)
