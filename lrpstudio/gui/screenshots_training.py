"""Screenshots of the training loop with real data: train, watch, compare, explain, similar cases.

``python -m lrpstudio.gui.screenshots_training OUT_DIR [DATA]`` generates a small demo
data set (unless DATA is given), trains two short runs from the Training tab (LRPLoss
p=1 and plain cross-entropy), and saves: the Training tab while it trains and when it
has finished, the Runs tab comparing the two runs, the Explain dock over the viewer and
the Similar cases tab with a BiLRP view.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.app import create_application
from lrpstudio.gui.launch import screenshot
from lrpstudio.gui.main_window import MainWindow
from lrpstudio.gui.prompts import ScriptedPrompter
from lrpstudio.gui.settings import RecentList


def wait_for(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    """Process events until ``condition()`` holds (TimeoutError after ``timeout`` s)."""
    end = time.monotonic() + timeout
    app = QtWidgets.QApplication.instance()
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the GUI did not reach the expected state")
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    app.processEvents()


def _demo(scratch: Path) -> Path:
    from lrpstudio.core.data.demo import DemoConfig, generate_demo

    root = scratch / "data"
    generate_demo(root, DemoConfig(cases=14, seed=3, shape=(96, 96, 60), workers=2))
    return root


def _train(window: MainWindow, kind: str, epochs: int, shot: Path | None = None) -> Path:
    panel = window.tabs.training
    f = panel.form
    f.image_size.setValue(64)
    f.epochs.setValue(epochs)
    f.batch_size.setValue(8)
    f.pinned.setValue(6)
    f.guidance.setCurrentIndex(f.guidance.findData(kind))
    window.tabs.setCurrentWidget(panel)
    run_dir = panel.start()
    if shot is not None:  # mid-run: curves growing, heatmaps of the first epochs
        wait_for(lambda: len(panel.fig7.epochs) >= 2 or panel.worker is None)
        wait_for(lambda: panel.curves.store.last_step % 9 == 4 or panel.worker is None)
        panel.curves.redraw()
        screenshot(window, shot)
    wait_for(lambda: panel.worker is None)
    return run_dir


def render_training_gallery(out: Path, data: Path | None = None) -> list[Path]:
    """Save the screenshots into ``out``; returns the files."""
    create_application()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="lrpstudio-train-shots-"))
    data = data or _demo(scratch)
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(scratch / "recent.json"))
    window.resize(1500, 920)
    window.show()
    window.open_path(data, scratch / "workspace", offer_restore=False)
    wait_for(lambda: window.case is not None)
    files = [out / "training-live.png"]
    lrp = _train(window, "lrp", 8, files[0])
    files.append(screenshot(window, out / "training-finished.png"))
    plain = _train(window, "none", 8)

    runs = window.tabs.runs
    window.tabs.setCurrentWidget(runs)
    runs.select_runs([lrp, plain])
    runs.metric_box.setCurrentText("val_score_hgg")
    runs.slices.setValue(3)
    runs.evaluate()
    wait_for(lambda: runs.worker is None)
    runs.select_runs([lrp, plain])
    runs.compare()
    wait_for(lambda: runs.worker is None and runs.fig5.arrays is not None)
    files.append(screenshot(window, out / "runs-compare.png"))

    window.tabs.setCurrentIndex(0)
    dock = window.findChild(QtWidgets.QDockWidget, "explain_dock")
    dock.raise_()
    explain = window.explain
    explain.run_box.setCurrentIndex(explain.run_box.findData(str(lrp)))
    explain.explain()
    files.append(screenshot(window, out / "explain-in-viewer.png"))

    similar = window.tabs.similar
    similar.run_box.setCurrentIndex(similar.run_box.findData(str(lrp)))
    window.tabs.setCurrentWidget(similar)
    similar.find()
    wait_for(lambda: similar.worker is None and similar.result is not None)
    tiles = [t for t in similar.neighbour_tiles() if t.layer == list(similar.result["neighbours"])[-2]]
    similar.select(tiles[0])
    wait_for(lambda: similar.worker is None and similar.bilrp.lines is not None)
    similar.bilrp.top_n.setValue(min(25, similar.bilrp.top_n.maximum()))
    files.append(screenshot(window, out / "similar-cases.png"))
    window.close()
    return files


if __name__ == "__main__":  # pragma: no cover - a developer tool
    if len(sys.argv) not in (2, 3):
        print("usage: python -m lrpstudio.gui.screenshots_training OUT_DIR [DATA]", file=sys.stderr)
        sys.exit(2)
    for path in render_training_gallery(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None):
        print(path)
