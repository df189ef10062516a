"""The main window opens within the screen's available area and remembers its size and
maximised state across launches (in the JSON settings under LRPSTUDIO_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore

from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.placement import placement_rect
from lrpstudio.gui.shell.prompts import ScriptedPrompter
from lrpstudio.gui.shell.settings import RecentList, WindowMemory, WindowPlacement, settings_file


def _launch(qtbot, recent: RecentList | None = None) -> MainWindow:
    window = MainWindow(prompter=ScriptedPrompter(), recent=recent)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_first_launch_fits_the_available_screen_area(qtbot, tmp_path: Path) -> None:
    window = _launch(qtbot, RecentList(tmp_path / "gui.json"))
    area, frame = window.screen().availableGeometry(), window.frameGeometry()
    # The offscreen screen (800x800) is lower than the 1400x860 default, as a 1366x768 one is
    # (and narrower than the window's minimum width, which Qt keeps: only heights compared).
    assert area.height() < 860
    assert area.top() <= frame.top() and frame.bottom() <= area.bottom(), (area, frame)


def test_the_window_is_centred_within_a_1366x768_or_1920x1080_work_area() -> None:
    for screen, taskbar in (((1366, 768), 40), ((1920, 1080), 48)):
        area = QtCore.QRect(0, 0, screen[0], screen[1] - taskbar)
        rect = placement_rect(QtCore.QSize(1400, 860), area, title=30)
        assert area.contains(rect.adjusted(-8, -38, 8, 8)), (screen, rect)
        assert rect.center().x() in (area.center().x(), area.center().x() + 1)


def test_size_and_maximised_state_are_remembered(qtbot, tmp_path: Path) -> None:
    recent = RecentList(tmp_path / "gui.json")
    window = _launch(qtbot, recent)
    width = window.minimumSizeHint().width()  # the offscreen screen is narrow: keep widths
    window.resize(width, 700)
    assert window.close()
    assert WindowMemory(recent.path).load() == WindowPlacement(width, 700, False)
    again = _launch(qtbot, recent)
    assert again.size() == QtCore.QSize(width, 700) and not again.isMaximized()
    again.showMaximized()
    qtbot.waitUntil(again.isMaximized)
    assert again.close()
    assert WindowMemory(recent.path).load() == WindowPlacement(width, 700, True)
    third = _launch(qtbot, recent)
    assert third.isMaximized()
    third.showNormal()
    qtbot.waitUntil(lambda: not third.isMaximized())
    assert third.size() == QtCore.QSize(width, 700)


def test_a_remembered_size_too_big_for_this_screen_is_shrunk(qtbot, tmp_path: Path) -> None:
    recent = RecentList(tmp_path / "gui.json")
    WindowMemory(recent.path).save(WindowPlacement(1920, 1080))
    window = _launch(qtbot, recent)
    area, frame = window.screen().availableGeometry(), window.frameGeometry()
    assert area.top() <= frame.top() and frame.bottom() <= area.bottom(), (area, frame)


def test_by_default_the_placement_is_kept_in_the_private_home(qtbot) -> None:
    window = _launch(qtbot)
    width = window.minimumSizeHint().width()
    window.resize(width, 690)
    assert window.close()
    assert settings_file().is_relative_to(os.environ["LRPSTUDIO_HOME"])
    assert WindowMemory().load() == WindowPlacement(width, 690, False)
