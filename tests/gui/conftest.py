"""Fixtures of the GUI tests: tiny demo data, a window with scripted answers, mouse helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

import pytest

pytest.importorskip("PySide6")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from lrpstudio.core.data.demo import DemoConfig, generate_demo  # noqa: E402

#: Small but BraTS-like: anisotropy and orientation come from the demo writer.
DEMO_SHAPE = (48, 48, 32)


@pytest.fixture(scope="module", autouse=True)
def gui_thread_collection(qapp) -> Iterator[None]:
    """Garbage collection as the app configures it: only in the GUI thread (see
    :func:`lrpstudio.gui.common.workers.keep_collection_in_gui_thread`); given back to Python
    after each module, for the non-GUI tests that may follow in the same process."""
    from lrpstudio.gui.common.workers import keep_collection_in_gui_thread

    collector = keep_collection_in_gui_thread(qapp)
    yield
    collector.unkeep()


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three tiny demo cases (BraTS 2020 layout), generated once per test session."""
    root = tmp_path_factory.mktemp("demo") / "data"
    generate_demo(root, DemoConfig(cases=3, seed=7, shape=DEMO_SHAPE, workers=1))
    return root


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator:
    """Factory of shown main windows with scripted answers; closed after the test."""
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList

    windows = []

    def make(prompter: ScriptedPrompter | None = None) -> MainWindow:
        window = MainWindow(prompter=prompter or ScriptedPrompter(),
                            recent=RecentList(tmp_path / f"gui{len(windows)}.json"))
        qtbot.addWidget(window)
        window.resize(1300, 820)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.controller.detach()
        window.hide()


def send_mouse(widget: QtWidgets.QWidget, kind: QtCore.QEvent.Type, pos: QtCore.QPoint,
               button: QtCore.Qt.MouseButton = QtCore.Qt.MouseButton.LeftButton,
               modifiers: QtCore.Qt.KeyboardModifier = QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    """Deliver one mouse event with the button state a real drag has (QTest's moves lack it)."""
    held = QtCore.Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseButtonRelease else button
    event_button = QtCore.Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else button
    local = QtCore.QPointF(pos)
    event = QtGui.QMouseEvent(kind, local, QtCore.QPointF(widget.mapToGlobal(pos)),
                              event_button, held, modifiers)
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(view, points: Sequence[QtCore.QPoint],
         button: QtCore.Qt.MouseButton = QtCore.Qt.MouseButton.LeftButton,
         modifiers: QtCore.Qt.KeyboardModifier = QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first point, move through the rest, release at the last."""
    viewport = view.viewport()
    T = QtCore.QEvent.Type
    send_mouse(viewport, T.MouseButtonPress, points[0], button, modifiers)
    for point in points[1:]:
        send_mouse(viewport, T.MouseMove, point, button, modifiers)
    send_mouse(viewport, T.MouseButtonRelease, points[-1], button, modifiers)


def background_voxels(window, count: int) -> list[tuple[int, int, int]]:
    """Voxels of the current axial slice that are background, spaced along a row."""
    view = window.views.views["axial"]
    seg = window.state.seg
    mapping = view.mapping
    found = []
    for sx in range(4, window.state.shape[mapping.x_axis] - 4, 3):
        voxel = mapping.to_voxel(sx + 0.5, 6.5, view.slice_index, window.state.shape)
        if voxel is not None and seg[voxel] == 0:
            found.append(voxel)
        if len(found) == count:
            return found
    raise AssertionError(f"no {count} background voxels near the edge of slice {window.state.cursor}")


def brush_background(window, count: int) -> list[tuple[int, int, int]]:
    """Paint label 3 with a 1-voxel brush over ``count`` background voxels of the axial view."""
    window.action_map["tool.brush"].trigger()
    window.action_map["label.3"].trigger()
    window.panel.radius.setValue(1)
    view = window.views.views["axial"]
    voxels = background_voxels(window, count)
    drag(view, [view.widget_pos_of(v) for v in voxels])
    return voxels


def train_one_tiny_epoch(window, qtbot, pinned: int, timeout_ms: int = 180_000) -> Path:
    """Start a 1-epoch, 32 px, plain-CE run from the Training tab and wait for it to end.

    Returns the run folder; asserts the run finished.
    """
    panel = window.tabs.training
    form = panel.form
    form.image_size.setValue(32)
    form.epochs.setValue(1)
    form.batch_size.setValue(16)
    form.pinned.setValue(pinned)
    form.guidance.setCurrentIndex(form.guidance.findData("none"))
    window.tabs.setCurrentWidget(panel)
    run_dir = panel.start()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=timeout_ms)
    assert panel.ended[-1] == (str(run_dir), "finished"), panel.log.toPlainText()
    return run_dir
