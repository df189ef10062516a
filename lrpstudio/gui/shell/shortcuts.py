"""The one table of keyboard shortcuts and mouse gestures.

Actions, tooltips and the Help cheat-sheet are all built from :data:`SHORTCUTS`, so a
key shown to the user is always the key that works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from PySide6 import QtCore, QtGui, QtWidgets

Kind = Literal["action", "hold", "mouse", "panel"]


@dataclass(frozen=True)
class Shortcut:
    """One binding.

    Attributes
    ----------
    id
        Stable action identifier used by the window (``"file.open"``).
    keys
        Qt key sequences (first is shown); for ``mouse`` rows a description.
    text
        Menu / button text.
    group
        Cheat-sheet section.
    kind
        ``action`` (a QAction of the window), ``hold`` (active while held), ``mouse`` (a
        gesture) or ``panel`` (a key of one panel, active while the focus is in it).
    """

    id: str
    keys: tuple[str, ...]
    text: str
    group: str
    kind: Kind = "action"


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("file.open_folder", ("Ctrl+O",), "Open BraTS folder…", "File"),
    Shortcut("file.open_workspace", ("Ctrl+Shift+O",), "Open workspace…", "File"),
    Shortcut("file.save", ("Ctrl+S",), "Save corrected mask", "File"),
    Shortcut("file.quit", ("Ctrl+Q",), "Quit", "File"),
    Shortcut("case.next", ("Ctrl+PgDown",), "Next case", "Cases"),
    Shortcut("case.previous", ("Ctrl+PgUp",), "Previous case", "Cases"),
    Shortcut("case.status_in_progress", ("Ctrl+Shift+I",), "Mark in progress", "Cases"),
    Shortcut("case.status_done", ("Ctrl+Shift+D",), "Mark done", "Cases"),
    Shortcut("case.status_flagged", ("Ctrl+Shift+F",), "Mark flagged", "Cases"),
    Shortcut("edit.undo", ("Ctrl+Z",), "Undo", "Edit"),
    Shortcut("edit.redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "Edit"),
    Shortcut("tool.navigate", ("V",), "Navigate (crosshair)", "Tools"),
    Shortcut("tool.brush", ("B",), "Brush", "Tools"),
    Shortcut("tool.eraser", ("E",), "Eraser", "Tools"),
    Shortcut("tool.fill", ("F",), "Flood fill (click; label or intensity, 2D/3D)", "Tools"),
    Shortcut("tool.grow", ("G",), "Grow region from a seed (intensity range)", "Tools"),
    Shortcut("tool.polygon", ("Shift+L",), "Polygon / lasso fill (click corners or drag)", "Tools"),
    Shortcut("tool.smaller", ("[",), "Smaller brush", "Tools"),
    Shortcut("tool.bigger", ("]",), "Bigger brush", "Tools"),
    Shortcut("tool.toggle_3d", ("D",), "2D / 3D brush", "Tools"),
    Shortcut("tool.fill_holes", ("Ctrl+H",), "Fill holes (current label, slice by slice)", "Tools"),
    Shortcut("tool.fill_holes_3d", ("Ctrl+Shift+H",), "Fill holes in 3D (current label)", "Tools"),
    Shortcut("tool.keep_largest", ("Ctrl+K",), "Keep largest component", "Tools"),
    Shortcut("tool.remove_islands", ("Ctrl+J",), "Remove small islands", "Tools"),
    Shortcut("tool.interpolate", ("I",), "Interpolate edited slices (preview)", "Tools"),
    Shortcut("tool.apply_preview", ("Return",), "Apply interpolation preview / close polygon", "Tools"),
    Shortcut("tool.cancel_preview", ("Escape",), "Discard interpolation preview / cancel polygon",
             "Tools"),
    Shortcut("label.1", ("Ctrl+1",), "Paint label 1: core", "Labels"),
    Shortcut("label.2", ("Ctrl+2",), "Paint label 2: oedema", "Labels"),
    Shortcut("label.3", ("Ctrl+3",), "Paint label 3: enhancing", "Labels"),
    Shortcut("view.modality.t1", ("1",), "T1", "View"),
    Shortcut("view.modality.t1ce", ("2",), "T1ce", "View"),
    Shortcut("view.modality.t2", ("3",), "T2", "View"),
    Shortcut("view.modality.flair", ("4",), "FLAIR", "View"),
    Shortcut("view.slice_up", ("Up",), "Next slice", "View"),
    Shortcut("view.slice_down", ("Down",), "Previous slice", "View"),
    Shortcut("view.page_up", ("PgUp",), "10 slices forward", "View"),
    Shortcut("view.page_down", ("PgDown",), "10 slices back", "View"),
    Shortcut("view.zoom_in", ("=", "+"), "Zoom in", "View"),
    Shortcut("view.zoom_out", ("-",), "Zoom out", "View"),
    Shortcut("view.reset", ("Home",), "Reset zoom and pan", "View"),
    Shortcut("view.wl_auto", ("A",), "Auto window/level", "View"),
    Shortcut("view.wl_preset", ("W",), "Next window/level preset", "View"),
    Shortcut("view.overlay", ("O",), "Show / hide overlay", "View"),
    Shortcut("view.outline", ("L",), "Outline / filled overlay", "View"),
    Shortcut("view.opacity_down", (",",), "Overlay more transparent", "View"),
    Shortcut("view.opacity_up", (".",), "Overlay more opaque", "View"),
    Shortcut("view.compare", ("C",), "Compare original / corrected mask (difference overlay)", "View"),
    Shortcut("view.link", ("K",), "Link zoom and pan across the three views", "View"),
    Shortcut("view.next_large", ("M",), "Next view as the large one", "View"),
    Shortcut("view.relevance", ("R",), "Show / hide the relevance layer (run chosen in the Explain dock)",
             "View"),
    Shortcut("view.pin_slice", ("P",), "Pin this axial slice for training (Fig. 7)", "View"),
    Shortcut("view.hold_hide", ("H",), "Hide overlay while held", "View", "hold"),
    Shortcut("window.viewer", ("Alt+1",), "Viewer tab", "Window"),
    Shortcut("window.training", ("Alt+2",), "Training tab", "Window"),
    Shortcut("window.runs", ("Alt+3",), "Runs tab", "Window"),
    Shortcut("window.similar", ("Alt+4",), "Similar cases tab", "Window"),
    Shortcut("window.review", ("Alt+5",), "Review tab", "Window"),
    Shortcut("analyse.explain", ("Ctrl+E",), "Explain the current slice", "Analyse"),
    Shortcut("analyse.similar", ("Ctrl+F",), "Find similar training slices", "Analyse"),
    Shortcut("review.add_to_mask", ("Ctrl+Shift+M",), "Add the highlighted component to the mask",
             "Review"),
    Shortcut("review.artefact", ("Ctrl+Shift+A",), "Mark the highlighted component as artefact / shortcut",
             "Review"),
    Shortcut("review.fine", ("Ctrl+Shift+G",), "Fine: the model looks at the right place", "Review"),
    Shortcut("review.skip", ("Ctrl+Shift+S",), "Skip this entry", "Review"),
    Shortcut("review.next_component", ("N",), "Highlight the next outside component", "Review"),
    Shortcut("review.previous_component", ("Shift+N",), "Highlight the previous outside component",
             "Review"),
    Shortcut("panel.start", ("Ctrl+Return", "Ctrl+Enter"), "Start training", "Training tab", "panel"),
    Shortcut("panel.pause", ("Ctrl+P",), "Pause / continue training", "Training tab", "panel"),
    Shortcut("panel.stop", ("Ctrl+.",), "Stop training (the last finished epoch stays saved)",
             "Training tab", "panel"),
    Shortcut("runs.rename", ("F2",), "Rename the selected run", "Runs tab", "panel"),
    Shortcut("runs.tags", ("Ctrl+T",), "Tags of the selected run", "Runs tab", "panel"),
    Shortcut("runs.delete", ("Del",), "Delete the selected runs (to the trash; Undo delete)", "Runs tab",
             "panel"),
    Shortcut("help.cheatsheet", ("F1",), "Keyboard shortcuts", "Help"),
    Shortcut("mouse.wheel", ("Wheel",), "Change slice", "Mouse", "mouse"),
    Shortcut("mouse.ctrl_wheel", ("Ctrl+Wheel",), "Zoom", "Mouse", "mouse"),
    Shortcut("mouse.middle", ("Middle drag / Shift+left drag",), "Pan", "Mouse", "mouse"),
    Shortcut("mouse.right", ("Right drag",), "Window (left-right) / level (up-down); the numbers "
             "show in the view's corner and in the Tools dock, where they can be typed", "Mouse", "mouse"),
    Shortcut("mouse.left", ("Left click / drag",), "Move crosshair, or paint with a tool",
             "Mouse", "mouse"),
    Shortcut("mouse.double", ("Double click",), "Close the polygon (Polygon tool)", "Mouse", "mouse"),
)

_BY_ID = {s.id: s for s in SHORTCUTS}


def shortcut(action_id: str) -> Shortcut:
    """The binding of one action id; KeyError names unknown ids."""
    return _BY_ID[action_id]


def tooltip(action_id: str, description: str | None = None) -> str:
    """Tooltip text ``"Brush (B)"`` for an action, from the table."""
    s = _BY_ID[action_id]
    return f"{description or s.text} ({' / '.join(s.keys)})"


def cheat_sheet_html() -> str:
    """The Help cheat-sheet: one HTML table, a heading row per group, in table order."""
    groups: dict[str, list[Shortcut]] = {}
    for s in SHORTCUTS:
        groups.setdefault(s.group, []).append(s)
    parts = ["<h2>Keyboard shortcuts and mouse</h2><table cellspacing='3'>"]
    for group, rows in groups.items():
        parts.append(f"<tr><td colspan='2'><h3>{group}</h3></td></tr>")
        for s in rows:
            keys = " / ".join(f"<b>{_escape(k)}</b>" for k in s.keys)
            parts.append(f"<tr><td>{keys}&nbsp;&nbsp;</td><td>{_escape(s.text)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cheat_sheet_dialog(parent: QtWidgets.QWidget) -> QtWidgets.QDialog:
    """Help → Keyboard shortcuts: a non-modal dialog with :func:`cheat_sheet_html` and a Close
    button (Esc closes it too), shown."""
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    text = QtWidgets.QTextBrowser(dialog)
    text.setHtml(cheat_sheet_html())
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)  # Close, and Esc as in every dialog
    layout = QtWidgets.QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.resize(520, 640)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def button_keys(owner: QtWidgets.QWidget, buttons: Mapping[str, QtWidgets.QAbstractButton],
                keys: Mapping[str, tuple[str, ...]]) -> list[QtGui.QShortcut]:
    """Keys that click ``buttons[name]`` while the focus is anywhere inside ``owner``.

    ``click()`` does nothing on a disabled button, so the keys follow the buttons' state.
    """
    made = []
    for name, sequences in keys.items():
        for key in sequences:
            item = QtGui.QShortcut(QtGui.QKeySequence(key), owner)
            item.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            item.activated.connect(buttons[name].click)
            made.append(item)
    return made
