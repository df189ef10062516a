"""The numeric window/level boxes of the Tools dock, kept in step with the view state.

Right-dragging in a view changes the numbers as it goes; typing a width or level (Enter)
sets the window of the shown modality. Width is ``high - low``, level ``(high + low) / 2``.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.viewer.view_state import ViewState


def width_level(levels: tuple[float, float]) -> tuple[float, float]:
    """(width, level) of a (low, high) window."""
    low, high = levels
    return high - low, (high + low) / 2


def low_high(width: float, level: float) -> tuple[float, float]:
    """(low, high) of a window of ``width`` centred on ``level``."""
    half = max(float(width), 1e-6) / 2
    return level - half, level + half


def link_window_level(width: QtWidgets.QDoubleSpinBox, level: QtWidgets.QDoubleSpinBox,
                      state: ViewState) -> None:
    """Show the current modality's window in ``width``/``level`` and apply typed values."""
    def show() -> None:
        enabled = state.has_volume
        width.setEnabled(enabled)
        level.setEnabled(enabled)
        if not enabled:
            return
        w, c = width_level(state.current_levels())
        for box, value in ((width, w), (level, c)):
            blocker = QtCore.QSignalBlocker(box)
            box.setValue(value)
            del blocker

    def typed() -> None:
        if state.has_volume:
            state.set_levels(*low_high(width.value(), level.value()))

    state.levels_changed.connect(lambda _m: show())
    state.modality_changed.connect(lambda _m: show())
    state.volume_changed.connect(show)
    width.valueChanged.connect(lambda _v: typed())
    level.valueChanged.connect(lambda _v: typed())
    show()
