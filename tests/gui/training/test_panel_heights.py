"""In a 1366x768 window the Training tab's log gives up height to the form."""

from __future__ import annotations

from lrpstudio.gui.training.panel import LOG_PX, TrainingPanel


def test_the_log_is_short_in_a_short_panel_and_the_form_gets_the_room(qtbot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 900)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.log.maximumHeight() == LOG_PX[1] and panel.log.height() > LOG_PX[0]
    panel.resize(1000, 640)  # the tab in a 1366x768 window
    qtbot.waitUntil(lambda: panel.log.maximumHeight() == LOG_PX[0])
    qtbot.waitUntil(lambda: panel.log.height() <= LOG_PX[0])
    assert panel.form_scroll.height() > 5 * panel.log.height()
