"""Render the main states of the app to PNG files (for docs and for looking at the GUI).

``python -m lrpstudio.gui.shell.screenshots DATA OUT_DIR`` opens DATA in a window (offscreen
works) and saves: the main window, outline mode zoomed in, the brush at work, an
interpolation preview, the shortcut cheat-sheet and the restore question.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.shell.application import create_application
from lrpstudio.gui.shell.launch import screenshot
from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.prompts import ScriptedPrompter
from lrpstudio.gui.shell.settings import RecentList
from lrpstudio.gui.viewer.slice_view import SliceView


def _mouse(view: SliceView, kind: QtCore.QEvent.Type,
           voxel: tuple[int, int, int]) -> None:
    pos = QtCore.QPointF(view.widget_pos_of(voxel))
    left = QtCore.Qt.MouseButton.LeftButton
    none = QtCore.Qt.MouseButton.NoButton
    button = none if kind == QtCore.QEvent.Type.MouseMove else left
    held = none if kind == QtCore.QEvent.Type.MouseButtonRelease else left
    QtWidgets.QApplication.sendEvent(view.viewport(), QtGui.QMouseEvent(
        kind, pos, QtCore.QPointF(view.viewport().mapToGlobal(pos.toPoint())), button, held,
        QtCore.Qt.KeyboardModifier.NoModifier))


def _stroke(window: MainWindow, voxels: list[tuple[int, int, int]]) -> None:
    view = window.views.views["axial"]
    T = QtCore.QEvent.Type
    _mouse(view, T.MouseButtonPress, voxels[0])
    for voxel in voxels[1:]:
        _mouse(view, T.MouseMove, voxel)
    _mouse(view, T.MouseButtonRelease, voxels[-1])


def render_gallery(data: Path, out: Path, workspace: Path | None = None) -> list[Path]:
    """Save screenshots of the app's main states into ``out``; returns the files."""
    create_application()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="lrpstudio-shots-"))
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(scratch / "recent.json"))
    window.resize(1500, 900)
    window.show()
    window.open_path(data, workspace or scratch / "workspace", offer_restore=False)
    files = [screenshot(window, out / "main-window.png")]

    window.action_map["view.modality.t1ce"].trigger()
    window.action_map["view.outline"].trigger()
    window.views.set_active("axial")
    window.views.active.zoom(1.8)
    files.append(screenshot(window, out / "outline-t1ce-zoomed.png"))
    window.action_map["view.outline"].trigger()
    window.action_map["view.reset"].trigger()
    window.action_map["view.modality.flair"].trigger()

    window.action_map["tool.brush"].trigger()
    window.action_map["label.3"].trigger()
    window.panel.radius.setValue(3)
    view = window.views.views["axial"]
    x = view.mapping.x_axis  # strokes go across the screen, into the other hemisphere
    def at(dx: int, dy: int, dz: int = 0) -> tuple[int, int, int]:
        v = list(window.state.cursor)
        v[x] += dx if not view.mapping.x_flip else -dx
        v[view.mapping.y_axis] += dy
        v[view.mapping.slice_axis] += dz
        return v[0], v[1], v[2]
    _stroke(window, [at(20, 0), at(30, 6), at(40, 0)])
    view.update_brush_ring(QtCore.QPointF(view.widget_pos_of(at(46, -6))))
    files.append(screenshot(window, out / "brush-editing.png"))

    window.state.step(view.mapping.slice_axis, 4)
    _stroke(window, [at(22, 3), at(32, 8), at(42, 3)])
    window.action_map["tool.interpolate"].trigger()
    window.state.step(view.mapping.slice_axis, -2)
    files.append(screenshot(window, out / "interpolation-preview.png"))
    window.action_map["tool.cancel_preview"].trigger()

    window.show_cheat_sheet()
    files.append(screenshot(window.cheat_sheet, out / "shortcut-cheatsheet.png"))
    window.cheat_sheet.close()

    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Restore unsaved edits",
                                "lrpstudio was closed with unsaved edits:\n\n"
                                f"• {window.case.id if window.case else '?'}: 2 step(s)\n\nRestore them? (No discards them.)",
                                QtWidgets.QMessageBox.StandardButton.Yes
                                | QtWidgets.QMessageBox.StandardButton.No, window)
    box.show()
    files.append(screenshot(box, out / "restore-question.png"))
    box.close()
    window.controller.discard()
    window.close()
    return files


if __name__ == "__main__":  # pragma: no cover - a developer tool
    if len(sys.argv) != 3:
        print("usage: python -m lrpstudio.gui.shell.screenshots DATA OUT_DIR", file=sys.stderr)
        sys.exit(2)
    for path in render_gallery(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
