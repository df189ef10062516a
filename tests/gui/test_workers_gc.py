"""Cyclic garbage is collected in the GUI thread only while worker threads run."""

from __future__ import annotations

import gc
import threading

from PySide6 import QtWidgets

from lrpstudio.gui.workers import MainThreadCollector, Worker


def test_collection_is_held_in_the_gui_thread_while_a_worker_runs(qtbot) -> None:
    release = threading.Event()
    seen: dict[str, bool] = {}

    def job(_progress, _cancel) -> str:
        seen["gc_enabled_in_worker"] = gc.isenabled()
        release.wait(10)
        return "done"

    assert gc.isenabled()
    worker = Worker(job)
    worker.start()
    app = QtWidgets.QApplication.instance()
    collector = app.findChild(MainThreadCollector, MainThreadCollector.OBJECT_NAME)
    assert collector is not None and collector.holders == 1
    assert gc.get_freeze_count() > 0  # what existed before is out of the timer's passes
    qtbot.waitUntil(lambda: "gc_enabled_in_worker" in seen, timeout=5000)
    assert seen["gc_enabled_in_worker"] is False  # the worker can never run a collection
    release.set()
    qtbot.waitUntil(lambda: collector.holders == 0, timeout=5000)
    assert gc.isenabled() and worker.result == "done" and gc.get_freeze_count() == 0


def test_timer_collects_cycles_while_held(qtbot) -> None:
    import weakref

    app = QtWidgets.QApplication.instance()
    collector = MainThreadCollector(app, interval_ms=10)
    collector.hold()
    try:
        class Node:
            pass

        probe = Node()
        probe.me = probe  # a reference cycle: only the cyclic collector frees it
        dead = weakref.ref(probe)
        del probe
        assert not gc.isenabled() and dead() is not None
        junk = [[] for _ in range(gc.get_threshold()[0] * 3)]  # pass the gen-0 threshold
        qtbot.waitUntil(lambda: dead() is None, timeout=5000)  # freed by the timer
        del junk
    finally:
        collector.release()
        collector.deleteLater()
    assert gc.isenabled()
