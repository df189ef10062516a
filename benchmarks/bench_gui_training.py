"""Event-loop latency of the desktop app while it trains (issue 16: no stall over 50 ms).

A real LRPLoss run (paper CNN, synthetic slices) is started from the Training panel,
shown offscreen with live curves and Fig. 7 heatmaps: first the panel alone, then the
whole main window with its Training tab in front, several runs one after the other. A
10 ms QTimer in the GUI thread records how late each tick fires, from the start of a
run until half a second after its worker has ended (the teardown and the drawing of the
run's end included): that lateness is how long a click or a repaint would wait. The
window is drawn and settled before the first run starts, as it is when a user presses
Start. Reported as median, p95 and max in ms over all runs of a
case, the worst run's max, and the training steps done per run (a starved worker shows
up there).

Side by side in one invocation, alternating run by run on the same window: the app as
it is, and without two of its measures: the GIL handed back at Python's default switch
interval (:attr:`MainThreadCollector.switch_interval_s` = None), and the live loss plot
auto-ranged in x and y at every redraw, the linked plots following at once (the stepped
ranges of :mod:`lrpstudio.gui.training.x_follow` and :mod:`~lrpstudio.gui.training.y_follow`
switched off). The other savings (axes, titles and legends cached as pixmaps, fixed axis
widths, markers not re-plotted on a range change, Fig. 7 tiles reused, pinned pictures
drawn in the job's thread, hidden tabs re-listed when shown) stay on in both. Worker teardown
in the GUI thread: the collector's release as it is, against the recount of the oldest
generation it used to do at that point (timed right after, over the same objects). The
load average is reported too: on a shared machine the absolute numbers move with it.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.scratch import scratch_home

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 10
RUNS = 3  # runs per side-by-side variant in the main window


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _lateness(app, seconds: float, until=None, cpu: list[float] | None = None) -> list[float]:  # noqa: ANN001
    """Run the event loop for ``seconds`` (or until ``until()``); per-tick lateness in s.

    ``cpu``, when given, receives the GUI thread's own CPU time per tick (s): the part of
    a stall the app spent working, as opposed to waiting for a core or the GIL.
    """
    from PySide6 import QtCore

    samples: list[float] = []
    last = [time.perf_counter(), time.thread_time()]

    def tick() -> None:
        now, used = time.perf_counter(), time.thread_time()
        samples.append(max(0.0, now - last[0] - TICK_MS / 1000))
        if cpu is not None:
            cpu.append(used - last[1])
        last[0], last[1] = now, used

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


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": "gui_training", "case": case, "metric": metric, "value": value, "unit": unit}


def _rows(case: str, runs: list[list[float]], steps: list[int], cpu: list[float] | None = None) -> list[dict]:
    """Lateness over all runs of ``case`` (ms), the worst run's max, GUI CPU, steps per run."""
    pooled = [s for run in runs for s in run]
    rows = [_row(case, f"event-loop lateness {name}", 1000 * value, "ms")
            for name, value in (("median", statistics.median(pooled)),
                                ("p95", _percentile(pooled, 0.95)), ("max", max(pooled)))]
    if len(runs) > 1:
        rows.append(_row(case, f"max per run, best of {len(runs)}", 1000 * min(max(r) for r in runs), "ms"))
    if cpu:
        rows.append(_row(case, "GUI-thread CPU in one tick, max", 1000 * max(cpu), "ms"))
        rows.append(_row(case, "GUI-thread CPU in the latest tick", 1000 * cpu[pooled.index(max(pooled))], "ms"))
    if steps:
        rows.append(_row(case, "training steps per run", statistics.mean(steps), "steps"))
    return rows


def _one_run(app, panel, seconds: float, cpu: list[float]) -> tuple[list[float], int]:  # noqa: ANN001
    """Train from ``panel`` for ``seconds``, stop; lateness samples (until the worker ended), steps."""
    panel.form.epochs.setValue(100)
    panel.form.batch_size.setValue(8)
    panel.form.pinned.setValue(6)
    panel.start()
    busy = _lateness(app, seconds, cpu=cpu)
    steps = panel.curves.store.last_step
    panel.stop()  # as the Stop button does: the worker ends on its own, the GUI keeps running
    busy += _lateness(app, 30.0, until=lambda: panel.worker is None, cpu=cpu)
    busy += _lateness(app, 0.5, cpu=cpu)  # the window drawing the run's end, before the next run
    return busy, steps


class _TeardownClock:
    """Times the collector's release in the GUI thread, and the recount it used to do there."""

    def __init__(self, collector: Any) -> None:
        self.collector = collector
        self.release_s: list[float] = []
        self.recount_s: list[float] = []
        self.objects: list[int] = []
        self.recount_due = False  # a worker's release happened; the old recount is not timed yet
        self._release: Callable[[], None] = collector.release
        collector.release = self._timed  # guard_gc connects the attribute, bound per worker

    def _timed(self) -> None:
        start = time.perf_counter()
        self._release()
        self.release_s.append(time.perf_counter() - start)
        self.recount_due = self.recount_due or self.collector.holders == 0

    def time_old_recount(self) -> None:
        """Time the recount the old path did at the release, once the run's lateness is taken.

        Timed inside the measured window it would itself be the window's longest stall.
        """
        if self.recount_due:
            self.recount_due = False
            start = time.perf_counter()
            self.objects.append(len(gc.get_objects(2)))
            self.recount_s.append(time.perf_counter() - start)

    def rows(self, case: str) -> list[dict]:
        if not self.release_s:
            return []
        return [_row(case, "worker teardown in GUI thread, now (median)",
                     1000 * statistics.median(self.release_s), "ms"),
                _row(case, "worker teardown, old recount of generation 2 (median)",
                     1000 * statistics.median(self.recount_s), "ms"),
                _row(case, "objects in generation 2 at teardown", float(statistics.median(self.objects)),
                     "objects")]


def _auto_ranged(curves: Any, on: bool) -> None:
    """Switch the live loss plot to pyqtgraph's auto-range of x and y at every redraw (the
    linked plots following at once), as before the stepped ranges; or back (``on`` False)."""
    if on:
        loss = curves.plots["Loss"]
        curves._follow_x = curves._follow_y = lambda: None
        curves._x_follow.restart = curves._y_follow.restart = lambda: loss.enableAutoRange(x=True, y=True)
        curves._unlink_followers = lambda: None
        curves._link_followers()
    else:
        for name in ("_follow_x", "_follow_y", "_unlink_followers"):
            vars(curves).pop(name, None)  # the class's methods again
        for follow in (curves._x_follow, curves._y_follow):
            vars(follow).pop("restart", None)


def _main_window(app, data: Path, tmp: Path, seconds: float, size: int,  # noqa: ANN001
                 runs: int) -> list[dict]:
    """The whole window, Training tab in front; new and old GIL setting alternating."""
    from lrpstudio.gui.common.workers import keep_collection_in_gui_thread
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList

    collector = keep_collection_in_gui_thread(app)
    clock = _TeardownClock(collector)
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(tmp / "r.json"))
    window.resize(1500, 900)
    window.show()
    window.tabs.open_dataset(data, runs_dir=tmp / "runs2")
    window.tabs.setCurrentWidget(window.tabs.training)
    _lateness(app, 1.0)  # drawn and settled, as it is when a user presses Start
    curves = window.tabs.training.curves
    now = collector.switch_interval_s
    variants = {"now": (now, True), "without (5 ms GIL switch, auto-ranged axes)": (None, False)}
    results: dict[str, tuple[list[list[float]], list[int], list[float]]] = {
        name: ([], [], []) for name in variants}
    try:
        for _ in range(runs):
            for name, (interval, stepped) in variants.items():
                collector.switch_interval_s = interval
                _auto_ranged(curves, not stepped)
                samples, steps = _one_run(app, window.tabs.training, seconds, results[name][2])
                clock.time_old_recount()
                results[name][0].append(samples)
                results[name][1].append(steps)
    finally:
        collector.switch_interval_s = now
        _auto_ranged(curves, False)
        collector.release = clock._release
        window.close()
    case = f"main window, LRPLoss p=1, {size}px, batch 8"
    rows = []
    for name, (samples, steps, cpu) in results.items():
        rows += _rows(f"{case}, {name}, {runs} runs", samples, steps, cpu)
    return rows + clock.rows(case)


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows (see module docstring); ``quick`` trains for a shorter time."""
    from lrpstudio.core.data.slice_dataset import save_dataset
    from lrpstudio.gui.common.workers import keep_collection_in_gui_thread
    from lrpstudio.gui.shell.application import create_application
    from lrpstudio.gui.training.panel import TrainingPanel
    from tests.core.train.factory import tiny_dataset

    app = create_application([])
    keep_collection_in_gui_thread(app)  # as the app does (a window made before may have missed it)
    seconds = 8.0 if quick else 30.0
    size = 64 if quick else 128
    rows = [_row("machine", "load average (1 min) at start", os.getloadavg()[0], "")]
    with scratch_home() as tmp:
        data = save_dataset(tiny_dataset(n_cases=12, slices_per_case=8, size=size, seed=0),
                            Path(tmp) / "dataset")
        panel = TrainingPanel()
        panel.resize(1400, 860)
        panel.show()
        panel.set_source(data, runs_dir=Path(tmp) / "runs")
        rows += _rows(f"idle, {size}px", [_lateness(app, 2.0)], [])  # also lets it settle
        cpu: list[float] = []
        busy, steps = _one_run(app, panel, seconds, cpu)
        rows += _rows(f"panel, LRPLoss p=1, {size}px, batch 8", [busy], [steps], cpu)
        panel.close()
        rows += _main_window(app, data, Path(tmp), seconds, size, RUNS)
    rows.append(_row("machine", "load average (1 min) at end", os.getloadavg()[0], ""))
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
