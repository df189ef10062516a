"""The viewer's commands (slice, zoom, window/level, overlay, modality) and its controls' state.

The main window maps action ids to these (:func:`view_commands`) and keeps the tool
panel's controls and the checkable actions in step with the view state
(:func:`sync_controls`).
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Mapping

from PySide6 import QtCore, QtGui

from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.gui.viewer.ortho_views import OrthoViews
from lrpstudio.gui.viewer.tool_panel import ToolPanel
from lrpstudio.gui.viewer.view_state import ViewState

Command = Callable[[], object]


def view_commands(state: ViewState, views: OrthoViews, preset: Callable[[int | None], None]) -> dict[str, Command]:
    """Action id -> command for every ``view.*`` action of the viewer.

    Parameters
    ----------
    state, views
        What the commands change.
    preset
        Applies window/level preset ``i`` (None: the next one) and says so.
    """
    commands: dict[str, Command] = {
        "view.slice_up": lambda: views.step_slice(+1),
        "view.slice_down": lambda: views.step_slice(-1),
        "view.page_up": lambda: views.step_slice(+10),
        "view.page_down": lambda: views.step_slice(-10),
        "view.zoom_in": lambda: views.active.zoom(1.25),
        "view.zoom_out": lambda: views.active.zoom(0.8),
        "view.reset": lambda: _reset(views),
        "view.wl_auto": lambda: preset(0),
        "view.wl_preset": lambda: preset(None),
        "view.overlay": lambda: state.set_style(visible=not state.style.visible),
        "view.outline": lambda: state.set_style(outline=not state.style.outline),
        "view.opacity_down": lambda: state.set_style(opacity=state.style.opacity - 0.1),
        "view.opacity_up": lambda: state.set_style(opacity=state.style.opacity + 0.1),
    }
    for m in MODALITIES:
        commands[f"view.modality.{m}"] = partial(state.set_modality, m)
    return commands


def _reset(views: OrthoViews) -> None:
    for view in views.views.values():
        view.reset_view()


def connect_controls(panel: ToolPanel, state: ViewState, actions: Mapping[str, QtGui.QAction],
                     preset: Callable[[int | None], None], guard: Callable[[Command], None]) -> None:
    """Keep the panel and the view actions in step with ``state`` (now and on every change),
    and let the panel's preset box and opacity slider change it."""
    def sync() -> None:
        sync_controls(panel, state, actions)

    state.modality_changed.connect(lambda _m: sync())
    state.overlay_changed.connect(sync)
    state.volume_changed.connect(sync)
    panel.preset.activated.connect(lambda i: guard(lambda: preset(i)))
    panel.opacity.valueChanged.connect(lambda v: state.set_style(opacity=v / 100.0))
    sync()


def sync_controls(panel: ToolPanel, state: ViewState, actions: Mapping[str, QtGui.QAction]) -> None:
    """Show ``state`` in the tool panel (preset, opacity) and the checkable view actions."""
    panel.preset.setCurrentIndex(state.preset_index.get(state.modality, 0))
    blocker = QtCore.QSignalBlocker(panel.opacity)
    panel.opacity.setValue(int(round(state.style.opacity * 100)))
    del blocker
    actions["view.outline"].setChecked(state.style.outline)
    actions["view.overlay"].setChecked(state.style.visible)
    action = actions.get(f"view.modality.{state.modality}")
    if action is not None:
        action.setChecked(True)
    for m in MODALITIES:
        actions[f"view.modality.{m}"].setEnabled(m in state.images)
