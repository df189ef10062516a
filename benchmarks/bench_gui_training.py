"""Event-loop latency of the desktop app while it trains (issue 6: under 100 ms).

A real LRPLoss run (paper CNN, synthetic slices) is started from the Training panel,
shown offscreen with live curves and Fig. 7 heatmaps: first the panel alone, then the
whole main window with its Training tab in front. A 10 ms QTimer in the GUI thread
records how late each tick fires: that lateness is how long a click or a repaint would
wait. Measured side by side: the same panel idle, then during training. Reported as
median, p95 and max in ms, plus the training steps done (so a starved worker shows up).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from benchmarks.scratch import scratch_home

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 10


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _lateness(app, seconds: float, until=None) -> list[float]:  # noqa: ANN001 - Qt objects
    """Run the event loop for ``seconds`` (or until ``until()``); per-tick lateness in s."""
    from PySide6 import QtCore

    samples: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        samples.append(max(0.0, now - last[0] - TICK_MS / 1000))
        last[0] = now

    timer = QtCore.QTimer()
    timer.setInterval(TICK_MS)
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not (until is not None and until()):
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)
    timer.stop()
    return samples


def _rows(case: str, samples: list[float]) -> list[dict]:
    return [{"benchmark": "gui_training", "case": case, "metric": f"event-loop lateness {name}",
             "value": 1000 * value, "unit": "ms"}
            for name, value in (("median", statistics.median(samples)),
                                ("p95", _percentile(samples, 0.95)), ("max", max(samples)))]


def _train_and_measure(app, panel, seconds: float, case: str) -> list[dict]:  # noqa: ANN001
    """Start ``panel``'s run, measure lateness for ``seconds``, stop; the rows of ``case``."""
    panel.form.epochs.setValue(100)
    panel.form.batch_size.setValue(8)
    panel.form.pinned.setValue(6)
    panel.start()
    busy = _lateness(app, seconds)
    steps = panel.curves.store.last_step
    epochs = len(panel.fig7.epochs)
    panel.stop_and_wait()
    _lateness(app, 0.5, until=lambda: panel.worker is None)
    rows = _rows(case, busy)
    rows.append({"benchmark": "gui_training", "case": case, "metric": "training steps during window",
                 "value": float(steps), "unit": "steps"})
    rows.append({"benchmark": "gui_training", "case": case, "metric": "epochs with heatmaps shown",
                 "value": float(epochs), "unit": "epochs"})
    return rows


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows (see module docstring); ``quick`` trains for a shorter time."""
    from PySide6 import QtWidgets

    from lrpstudio.core.data.slice_dataset import save_dataset
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList
    from lrpstudio.gui.training.panel import TrainingPanel
    from tests.core.train.factory import tiny_dataset

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    seconds = 8.0 if quick else 30.0
    size = 64 if quick else 128
    with scratch_home() as tmp:
        data = save_dataset(tiny_dataset(n_cases=12, slices_per_case=8, size=size, seed=0),
                            Path(tmp) / "dataset")
        panel = TrainingPanel()
        panel.resize(1400, 860)
        panel.show()
        panel.set_source(data, runs_dir=Path(tmp) / "runs")
        rows = _rows(f"idle, {size}px", _lateness(app, 2.0))
        rows += _train_and_measure(app, panel, seconds, f"panel, LRPLoss p=1, {size}px, batch 8")
        panel.close()
        # The whole window, Training tab in front: what a user of the app sees.
        window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(Path(tmp) / "r.json"))
        window.resize(1500, 900)
        window.show()
        window.tabs.open_dataset(data, runs_dir=Path(tmp) / "runs2")
        window.tabs.setCurrentWidget(window.tabs.training)
        rows += _train_and_measure(app, window.tabs.training, seconds,
                                   f"main window, LRPLoss p=1, {size}px, batch 8")
        window.close()
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
