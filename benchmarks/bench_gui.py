"""Desktop-app latency: slice change with overlay, one brush dab through the view, case open.

Measured on BraTS-sized demo cases (240x240x155, four modalities + seg, .nii.gz), with the
real main window rendered offscreen: each timing includes the Qt repaint of the views
that changed, which is what a user waits for. Reported as median and p95 in ms.
Aims (issue 5): slice change and brush dab p95 <= 16 ms, case open < 1.5 s.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from benchmarks.scratch import scratch_home
from benchmarks.timing import timed

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stats(name: str, case: str, samples: tuple[list[float], list[float]]) -> list[dict]:
    """Median and p95 of wall time (what the user waits) and of the process CPU time (all threads).

    The CPU time does not count time spent waiting for a core, so it stays comparable on
    a busy machine where the wall time is inflated by other processes.
    """
    rows = []
    for clock, values in zip(("wall", "cpu"), samples):
        for stat, value in (("median", statistics.median(values)), ("p95", _percentile(values, 0.95))):
            rows.append({"benchmark": "gui", "case": case, "metric": f"{name} {stat} ({clock})",
                         "value": 1000 * value, "unit": "ms"})
    return rows


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows (see module docstring); ``quick`` uses fewer repeats."""
    from PySide6 import QtCore, QtGui, QtWidgets

    from lrpstudio.core.data.demo import DemoConfig, generate_demo
    from lrpstudio.gui.shell.application import create_application
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList

    app = create_application()
    repeats = 30 if quick else 200
    with scratch_home() as tmp:
        data = generate_demo(Path(tmp) / "data", DemoConfig(cases=2, seed=11, workers=1))
        window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(Path(tmp) / "r.json"))
        window.resize(1500, 900)
        window.show()
        window.open_path(data, Path(tmp) / "ws")
        app.processEvents()
        views = list(window.views.views.values())
        axial = window.views.views["axial"]

        def repaint_all() -> None:
            for view in views:
                view.viewport().repaint()

        def slice_change(i: int) -> None:
            window.views.step_slice(+1 if (i // 10) % 2 == 0 else -1)
            app.processEvents()  # Qt paints what changed, as it would for the user

        def slice_change_full(i: int) -> None:
            window.views.step_slice(+1 if (i // 10) % 2 == 0 else -1)
            repaint_all()  # worst case: every view repainted in full

        repaint_all()
        rows = _stats("slice change + overlay", "240x240x155", timed(repeats, slice_change))
        rows += _stats("slice change + full repaint of 3 views", "240x240x155",
                       timed(repeats, slice_change_full))

        window.action_map["tool.brush"].trigger()
        window.panel.radius.setValue(3)
        c = window.state.cursor
        T = QtCore.QEvent.Type
        vp = axial.viewport()

        def mouse(kind: QtCore.QEvent.Type, voxel: tuple[int, int, int]) -> None:
            pos = QtCore.QPointF(axial.widget_pos_of(voxel))
            held = QtCore.Qt.MouseButton.NoButton if kind == T.MouseButtonRelease else QtCore.Qt.MouseButton.LeftButton
            button = QtCore.Qt.MouseButton.NoButton if kind == T.MouseMove else QtCore.Qt.MouseButton.LeftButton
            QtWidgets.QApplication.sendEvent(vp, QtGui.QMouseEvent(
                kind, pos, pos, button, held, QtCore.Qt.KeyboardModifier.NoModifier))

        path = [(c[0] - 20 + (i % 40), c[1] + ((i // 40) % 5) * 4 - 8, c[2]) for i in range(repeats)]
        mouse(T.MouseButtonPress, path[0])

        def dab(i: int) -> None:
            mouse(T.MouseMove, path[i])
            app.processEvents()

        rows += _stats("brush dab (drag) + paint", "radius 3, 2D", timed(repeats, dab))
        mouse(T.MouseButtonRelease, path[-1])

        def click(i: int) -> None:
            window.action_map["tool.brush" if i % 2 == 0 else "tool.eraser"].trigger()
            mouse(T.MouseButtonPress, path[i])
            mouse(T.MouseButtonRelease, path[i])
            app.processEvents()

        rows += _stats("brush click (journaled, fsync) + paint", "radius 3, 2D",
                       timed(max(10, repeats // 4), click))
        window.controller.discard()
        window.case = None
        browser_rows = [r for r in window.browser.rows if r.openable]

        def open_case(i: int) -> None:
            window.open_case(browser_rows[i % len(browser_rows)])
            app.processEvents()

        rows += _stats("case open (4 modalities + seg, .nii.gz)", "240x240x155",
                       timed(6 if quick else 12, open_case))
        window.controller.discard()
        window.close()
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(f"{row['case']:>14}  {row['metric']:<56} {row['value']:9.2f} {row['unit']}")
