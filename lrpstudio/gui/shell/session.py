"""What the app remembers from one launch to the next, and when it is saved and restored.

Kept in the GUI settings file (:mod:`lrpstudio.gui.shell.settings`), saved when the main
window closes:

- the window's size and maximised state (:mod:`~lrpstudio.gui.shell.placement`);
- the dock layout (``QMainWindow.saveState``), as the Viewer tab shows it;
- the training form's values (:mod:`lrpstudio.gui.training.form_memory`);
- the open case and the cursor (so the slice): reopened at the next launch when that
  launch opens the same folder (the demo set included; another folder opens at its first
  case). Unsaved edits are not part of it: they come back through the crash journals.

A ``--screenshot`` run neither reads nor writes any of it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

from lrpstudio.gui.shell.placement import remember_placement
from lrpstudio.gui.shell.settings import DOCK_LAYOUT_VERSION, LastView, SessionMemory
from lrpstudio.gui.training.form_memory import apply_form_values, form_values

if TYPE_CHECKING:  # the window imports nothing from here at run time; no circle
    from lrpstudio.gui.shell.main_window import MainWindow

log = logging.getLogger(__name__)


#: The side docks' widths (px) when no layout is remembered: the case list's columns in view.
DEFAULT_DOCK_WIDTHS = {"cases": 330, "tools": 300}


def restore_layout(window: MainWindow, memory: SessionMemory) -> bool:
    """Before any data opens: the dock layout and the training form of the last session.

    Returns whether a dock layout was restored (else :func:`default_dock_widths` applies
    once the window is shown)."""
    layout = memory.dock_layout()
    restored = layout is not None and window.restoreState(QtCore.QByteArray(layout), DOCK_LAYOUT_VERSION)
    if layout is not None and not restored:
        log.info("saved dock layout not used (it does not fit these docks)")
    values = memory.form()
    if values is not None:
        apply_form_values(window.tabs.training.form, values)
    return restored


def default_dock_widths(window: MainWindow) -> None:
    """The side docks at their default widths (a shown window: before, Qt keeps their minimum)."""
    docks = [window.docks[name] for name in DEFAULT_DOCK_WIDTHS]
    window.resizeDocks(docks, list(DEFAULT_DOCK_WIDTHS.values()), QtCore.Qt.Orientation.Horizontal)


def last_case_for(memory: SessionMemory, folder: Path) -> LastView | None:
    """The last case and cursor when ``folder`` is the folder they were shown from."""
    last = memory.last_view()
    if last is None or Path(last.folder).resolve() != Path(folder).resolve():
        return None
    return last


def go_to_last_case(window: MainWindow, last: LastView) -> None:
    """Put the cursor back where it was once ``last``'s case is shown (it may load later)."""
    window.loader.when_loaded(last.case_id, lambda: window.state.set_cursor(last.cursor))


def save_session(window: MainWindow, memory: SessionMemory) -> None:
    """Remember the window, the docks, the training form and the case shown (closing)."""
    try:
        remember_placement(window, window.window_memory)
        values = form_values(window.tabs.training.form)
        if values is not None:
            memory.save_form(values)
        if window.tabs.currentIndex() != 0:
            window.tabs.setCurrentIndex(0)  # the docks as the Viewer shows them (others hide them)
        memory.save_dock_layout(bytes(window.saveState(DOCK_LAYOUT_VERSION).data()))
        memory.save_last_view(_last_view(window))
    except OSError as error:  # an unwritable settings folder must not block quitting
        log.warning("could not save the session: %s", error)


def _last_view(window: MainWindow) -> LastView | None:
    if window.case is None or window.opened is None or not window.state.has_volume:
        return None
    x, y, z = (int(c) for c in window.state.cursor)
    return LastView(window.opened, str(window.case.id), (x, y, z))
