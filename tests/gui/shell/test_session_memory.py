"""Session memory: the training form, the dock layout, the last case and slice come back
at the next launch; "Reset form" goes back to the defaults; a screenshot run saves nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6 import QtCore

from lrpstudio.core.train.config import TrainConfig
from lrpstudio.gui.shell import launch
from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.prompts import ScriptedPrompter
from lrpstudio.gui.shell.session import restore_layout
from lrpstudio.gui.shell.settings import RecentList, SessionMemory, settings_file


def _window(qtbot, settings: Path) -> MainWindow:
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(settings))
    qtbot.addWidget(window)
    return window


def _relaunch(qtbot, settings: Path) -> MainWindow:
    """A new window as the launch builds it: the saved layout and form restored, then shown."""
    window = _window(qtbot, settings)
    restore_layout(window, window.session_memory)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_training_form_is_remembered_and_reset(qtbot, tmp_path: Path) -> None:
    settings = tmp_path / "gui.json"
    first = _relaunch(qtbot, settings)
    form = first.tabs.training.form
    form.epochs.setValue(7)
    form.guidance.setCurrentIndex(form.guidance.findData("lrp"))
    form.penalty.setValue(0.0)  # plain CE for the run, but LRPLoss stays the user's choice
    form.image_size.setValue(64)
    form.use_corrections.setChecked(False)
    form.recipe.forbidden_weight.setValue(0.5)  # a recipe option (the artefact penalty)
    form.recipe.patience.setValue(3)
    assert first.close()
    form = _relaunch(qtbot, settings).tabs.training.form
    assert form.epochs.value() == 7 and form.guidance.currentData() == "lrp"
    assert form.penalty.value() == 0.0 and form.image_size.value() == 64
    assert not form.use_corrections.isChecked()
    assert form.recipe.forbidden_weight.value() == 0.5 and form.recipe.patience.value() == 3
    panel = form.parent()
    while not hasattr(panel, "reset_button"):
        panel = panel.parent()
    panel.reset_button.click()
    assert form.epochs.value() == TrainConfig().epochs and form.image_size.value() == 128
    assert form.use_corrections.isChecked() and form.guidance.currentData() == "lrp"
    assert form.penalty.value() > 0 and form.recipe.forbidden_weight.value() == 0


def test_the_dock_layout_is_remembered(qtbot, tmp_path: Path) -> None:
    settings = tmp_path / "gui.json"
    first = _relaunch(qtbot, settings)
    first.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["explain"])
    first.tabs.setCurrentWidget(first.tabs.runs)  # the Runs tab hides the docks: not saved so
    assert first.close()
    again = _relaunch(qtbot, settings)
    assert again.dockWidgetArea(again.docks["explain"]) == QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.docks["cases"].isVisible() and again.docks["explain"].isVisible()


def test_the_last_case_and_slice_are_reopened(qtbot, tmp_path: Path, demo_root: Path) -> None:
    settings = tmp_path / "gui.json"
    first = _relaunch(qtbot, settings)
    first.open_path(demo_root, offer_restore=False)
    last = first.browser.rows[-1].case_id
    first.browser.select(last)
    assert first.case is not None and first.case.id == last
    first.state.set_cursor((10, 11, 12))
    assert first.close()
    again = _relaunch(qtbot, settings)
    launch.open_start(again, None, None)  # no folder given: the last one, at its last case
    assert again.case is not None and again.case.id == last
    assert again.state.cursor == (10, 11, 12)
    assert again.close()
    # Another folder opens at its first case (the remembered one belongs to the demo folder).
    other = tmp_path / "copy"
    shutil.copytree(demo_root, other)
    third = _relaunch(qtbot, settings)
    launch.open_start(third, other, None)
    assert third.case is not None and third.case.id == third.browser.rows[0].case_id


def test_a_screenshot_run_saves_no_settings(qtbot, tmp_path: Path, demo_root: Path) -> None:
    before = settings_file().read_bytes() if settings_file().exists() else None
    assert launch.run_gui(demo_root, shot=tmp_path / "shot.png", prompter=ScriptedPrompter()) == 0
    assert (tmp_path / "shot.png").stat().st_size > 1000
    after = settings_file().read_bytes() if settings_file().exists() else None
    assert after == before
    assert SessionMemory().last_view() is None or before is not None
