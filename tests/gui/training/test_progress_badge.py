"""A running training shows its progress in the main window's status bar on every tab,
says when it is paused, and goes away when the run ends."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from lrpstudio.gui.shell.prompts import ScriptedPrompter


def test_training_progress_is_in_the_status_bar_from_any_tab(make_window, demo_root: Path,
                                                             tmp_path: Path, qtbot) -> None:
    window = make_window(ScriptedPrompter())
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    badge = window.training_badge
    assert not badge.isVisible()
    form = window.tabs.training.form
    form.image_size.setValue(32)
    form.epochs.setValue(2)
    form.batch_size.setValue(4)
    form.pinned.setValue(0)
    form.guidance.setCurrentIndex(form.guidance.findData("none"))
    panel = window.tabs.training
    panel.start()
    window.tabs.setCurrentWidget(window.tabs.runs)
    assert badge.isVisible() and badge.format().startswith("training")
    qtbot.waitUntil(lambda: badge.value() > badge.minimum(), timeout=120_000)
    panel.toggle_pause()
    assert badge.format().startswith("paused")
    panel.toggle_pause()
    assert badge.format().startswith("training")
    qtbot.mouseClick(badge, QtCore.Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.worker is None, timeout=180_000)
    assert not badge.isVisible()
