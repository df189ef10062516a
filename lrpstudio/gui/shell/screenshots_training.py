"""Screenshots of the training loop with real data: train, watch, compare, explain, similar cases.

``python -m lrpstudio.gui.shell.screenshots_training OUT_DIR [DATA]`` generates a small demo
data set (unless DATA is given) and walks the loop a user walks, saving a picture of each
step: train an LRPLoss run from the Training tab and watch it, pause, stop, resume it to
the end; train a plain cross-entropy run; compare both in the Runs tab and reopen a run's
saved heatmaps; explain the viewer's slice; find similar cases and show a BiLRP view;
open a neighbour in the viewer, correct its mask and save; retrain on the corrected masks
and see the correction counted in the Runs tab.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.demo import DemoConfig, generate_demo
from lrpstudio.gui.shell.application import create_application
from lrpstudio.gui.shell.launch import screenshot
from lrpstudio.gui.shell.main_window import MainWindow
from lrpstudio.gui.shell.prompts import ScriptedPrompter
from lrpstudio.gui.shell.settings import RecentList


def wait_for(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    """Process events until ``condition()`` holds (TimeoutError after ``timeout`` s)."""
    end = time.monotonic() + timeout
    app = QtWidgets.QApplication.instance()
    if app is None:
        raise RuntimeError("no QApplication: create the application first")
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the GUI did not reach the expected state")
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    app.processEvents()


def _demo(scratch: Path) -> Path:
    root = scratch / "data"
    generate_demo(root, DemoConfig(cases=14, seed=3, shape=(96, 96, 60), workers=2))
    return root


def _set_form(window: MainWindow, kind: str, epochs: int) -> None:
    f = window.tabs.training.form
    f.image_size.setValue(64)
    f.epochs.setValue(epochs)
    f.batch_size.setValue(8)
    f.pinned.setValue(6)
    f.guidance.setCurrentIndex(f.guidance.findData(kind))
    window.tabs.setCurrentWidget(window.tabs.training)


def _train_watch_pause_stop_resume(window: MainWindow, out: Path, files: list[Path]) -> Path:
    """The LRPLoss run: live, paused, stopped, resumed to the end."""
    panel = window.tabs.training
    _set_form(window, "lrp", 8)
    run_dir = panel.start()
    wait_for(lambda: len(panel.fig7.epochs) >= 2)
    wait_for(lambda: panel.curves.store.last_step % 9 == 4)
    panel.curves.redraw()
    files.append(screenshot(window, out / "training-live.png"))
    panel.toggle_pause()
    wait_for(lambda: "Paused" in panel.status.text())
    files.append(screenshot(window, out / "training-paused.png"))
    panel.toggle_pause()
    wait_for(lambda: len(panel.fig7.epochs) >= 3)
    panel.stop()
    wait_for(lambda: panel.worker is None)
    files.append(screenshot(window, out / "training-stopped.png"))
    panel.resume_run(run_dir)
    wait_for(lambda: panel.worker is None)
    files.append(screenshot(window, out / "training-finished.png"))
    return run_dir


def _train(window: MainWindow, kind: str, epochs: int) -> Path:
    panel = window.tabs.training
    _set_form(window, kind, epochs)
    run_dir = panel.start()
    wait_for(lambda: panel.worker is None)
    return run_dir


def _compare(window: MainWindow, runs_list: list[Path], out: Path, files: list[Path]) -> None:
    runs = window.tabs.runs
    window.tabs.setCurrentWidget(runs)
    runs.select_runs(runs_list)
    runs.metric_box.setCurrentText("val_score_hgg")
    runs.slices.setValue(3)
    runs.evaluate()
    wait_for(lambda: runs.worker is None)
    runs.select_runs(runs_list)
    runs.compare()
    wait_for(lambda: runs.worker is None and runs.fig5.arrays is not None)
    files.append(screenshot(window, out / "runs-compare.png"))
    runs.open_heatmaps(runs_list[0])
    wait_for(lambda: runs.worker is None and runs.heatmaps_dialog is not None)
    dialog = runs.heatmaps_dialog
    assert dialog is not None  # waited for above
    dialog.resize(1100, 520)
    files.append(screenshot(dialog, out / "run-heatmaps.png"))
    dialog.close()


def _explain_and_similar(window: MainWindow, run: Path, out: Path, files: list[Path]) -> None:
    window.tabs.setCurrentIndex(0)
    explain = window.explain
    explain.run_box.setCurrentIndex(explain.run_box.findData(str(run)))
    window.explain_current()
    files.append(screenshot(window, out / "explain-in-viewer.png"))
    similar = window.tabs.similar
    similar.run_box.setCurrentIndex(similar.run_box.findData(str(run)))
    window.tabs.setCurrentWidget(similar)
    similar.query_current()
    wait_for(lambda: similar.worker is None and similar.result is not None)
    layers = list(similar.result["neighbours"]) if similar.result is not None else []
    tiles = [t for t in similar.neighbour_tiles() if t.layer == layers[-2]]
    similar.select(tiles[0])
    wait_for(lambda: similar.worker is None and similar.bilrp.lines is not None)
    similar.bilrp.top_n.setValue(min(25, similar.bilrp.top_n.maximum()))
    files.append(screenshot(window, out / "similar-cases.png"))
    target = tiles[0].neighbour
    similar.open_neighbour(tiles[0])
    wait_for(lambda: window.case is not None and window.case.id == target.case_id
             and window.tabs.currentIndex() == 0)
    files.append(screenshot(window, out / "neighbour-opened.png"))


def _correct_mask(window: MainWindow, out: Path, files: list[Path]) -> None:
    """Paint enhancing tumour into the opened neighbour's slice and save it."""
    session, seg = window.controller.session, window.state.seg
    if session is None or seg is None:
        raise RuntimeError("no case is open to correct")
    session.set_active_label(3)
    z = int(window.state.cursor[2])
    tumour = np.argwhere(seg[:, :, z] > 0)
    x, y = (tumour.mean(axis=0).astype(int) if len(tumour) else np.array(window.state.shape[:2]) // 2)
    for dx in range(-2, 3):
        session.paint((int(x + dx), int(y), z))
    window.save()
    files.append(screenshot(window, out / "mask-corrected.png"))


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
    files: list[Path] = []
    lrp = _train_watch_pause_stop_resume(window, out, files)
    plain = _train(window, "none", 8)
    _compare(window, [lrp, plain], out, files)
    _explain_and_similar(window, lrp, out, files)
    _correct_mask(window, out, files)
    retrained = _train(window, "lrp", 4)
    window.tabs.setCurrentWidget(window.tabs.runs)
    window.tabs.runs.select_runs([retrained])
    files.append(screenshot(window, out / "runs-after-retrain.png"))
    window.close()
    return files


if __name__ == "__main__":  # pragma: no cover - a developer tool
    if len(sys.argv) not in (2, 3):
        print("usage: python -m lrpstudio.gui.shell.screenshots_training OUT_DIR [DATA]", file=sys.stderr)
        sys.exit(2)
    for path in render_training_gallery(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None):
        print(path)
