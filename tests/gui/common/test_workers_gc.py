"""Cyclic garbage is collected in the GUI thread only (always in the app; held by workers)."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

from PySide6 import QtWidgets

from lrpstudio.gui.common.workers import MainThreadCollector, Worker


def _churn(collector: MainThreadCollector, rounds: int, keep: list | None = None) -> None:
    """Make cyclic garbage (and, with ``keep``, survivors) and tick ``collector`` by hand."""
    for _ in range(rounds):
        for _ in range(gc.get_threshold()[0] + 10):
            node: list = []
            node.append(node)  # garbage only the cyclic collector frees
            if keep is not None:
                keep.append([])
        collector.collect()


def test_collection_is_held_in_the_gui_thread_while_a_worker_runs(qtbot) -> None:
    release = threading.Event()
    seen: dict[str, bool] = {}

    def job(_progress, _cancel) -> str:
        seen["gc_enabled_in_worker"] = gc.isenabled()
        release.wait(10)
        return "done"

    app = QtWidgets.QApplication.instance()
    collector = app.findChild(MainThreadCollector, MainThreadCollector.OBJECT_NAME)
    assert collector is not None and collector.kept, "the GUI tests run with the app's setting"
    assert not gc.isenabled()  # no thread of the app ever starts a collection by itself
    worker = Worker(job)
    worker.start()
    assert collector.holders == 1
    assert gc.get_freeze_count() > 0  # what existed before is out of the timer's passes
    qtbot.waitUntil(lambda: "gc_enabled_in_worker" in seen, timeout=5000)
    assert seen["gc_enabled_in_worker"] is False  # the worker can never run a collection
    release.set()
    qtbot.waitUntil(lambda: collector.holders == 0, timeout=5000)
    assert not gc.isenabled() and worker.result == "done" and gc.get_freeze_count() == 0


def test_timer_collects_cycles_while_held(qtbot) -> None:
    import weakref

    app = QtWidgets.QApplication.instance()
    was_enabled = gc.isenabled()
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
    assert gc.isenabled() == was_enabled


def test_pool_threads_never_collect_in_the_app(qtbot) -> None:
    # A collection in a data-loading pool thread freed a closed window there and crashed
    # the process: in the app, only the GUI thread collects, workers or not.
    from concurrent.futures import ThreadPoolExecutor

    collecting_threads: list[str] = []

    def note(phase: str, _info: dict) -> None:
        if phase == "start":
            collecting_threads.append(threading.current_thread().name)

    def allocate() -> int:
        cycles = []
        for _ in range(gc.get_threshold()[0] * 20):
            node: list = []
            node.append(node)
            cycles.append(node)
        return len(cycles)

    gc.callbacks.append(note)
    try:
        with ThreadPoolExecutor(2, thread_name_prefix="pool") as pool:
            assert all(n > 0 for n in pool.map(lambda _i: allocate(), range(4)))
        assert not any(name.startswith("pool") for name in collecting_threads)
        qtbot.waitUntil(lambda: threading.main_thread().name in collecting_threads, timeout=5000)
    finally:
        gc.callbacks.remove(note)


@contextmanager
def _long_lived_app(after_a_worker: bool = False) -> Iterator[tuple[MainThreadCollector, list[int]]]:
    """A kept collector over 200,000 long-lived objects, and a list that gets one entry per
    full pass it starts; ``after_a_worker``: a worker held and released it first."""
    app = QtWidgets.QApplication.instance()
    collector = MainThreadCollector(app, interval_ms=3_600_000)  # ticked by hand
    collector.keep()
    full: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    long_lived = [[] for _ in range(200_000)]
    gc.collect()
    collector._recount()
    if after_a_worker:
        collector.hold()
        collector.release()
    gc.callbacks.append(note)
    try:
        yield collector, full
    finally:
        gc.callbacks.remove(note)
        collector.unkeep()
        collector.deleteLater()
    assert len(long_lived) == 200_000


def test_full_collections_wait_for_enough_new_long_lived_objects() -> None:
    # A full pass over a loaded app took about half a second: as in CPython, it runs only
    # when the objects promoted since the last one exceed a quarter of the long-lived ones.
    with _long_lived_app() as (collector, full):
        _churn(collector, 300)  # >10 gen-1 passes of short-lived garbage: no full pass
        assert not full
        survivors: list = []
        _churn(collector, 300, keep=survivors)  # 200k+ new long-lived objects: now a full pass is due
        assert full


def test_a_worker_ending_never_lists_the_long_lived_objects(monkeypatch) -> None:
    # Listing the oldest generation after the unfreeze took 70-130 ms in the GUI thread
    # each time a run ended (the window froze at the end of every training).
    app = QtWidgets.QApplication.instance()
    collector = MainThreadCollector(app, interval_ms=3_600_000)
    collector.keep()
    listed: list[object] = []
    real = gc.get_objects

    def spy(generation: int | None = None) -> list:
        listed.append(generation)
        return real(generation)

    try:
        collector.hold()
        monkeypatch.setattr(gc, "get_objects", spy)
        collector.release()
        assert 2 not in listed and None not in listed
        assert gc.get_freeze_count() == 0  # what was frozen is back in the passes
    finally:
        monkeypatch.undo()
        collector.unkeep()
        collector.deleteLater()


def test_long_lived_objects_still_count_after_a_worker_ended() -> None:
    # The frozen objects are carried over in the count, not forgotten: otherwise every
    # few hundred collections after a run would be a full pass over the whole app.
    with _long_lived_app(after_a_worker=True) as (collector, full):
        _churn(collector, 300)  # short-lived garbage only: no full pass is due
        assert not full


def test_the_gil_comes_back_to_the_gui_thread_quickly_while_a_worker_runs(qtbot) -> None:
    # With Python's 5 ms switch interval, each call into Qt during a repaint could wait
    # that long for the GIL from the training thread: 30 ms repaints stalled for 70 ms.
    import sys

    release = threading.Event()
    before = sys.getswitchinterval()
    worker = Worker(lambda _progress, _cancel: release.wait(10))
    worker.start()
    try:
        assert sys.getswitchinterval() <= MainThreadCollector.SWITCH_INTERVAL_S < before
    finally:
        release.set()
    qtbot.waitUntil(lambda: worker.isFinished(), timeout=5000)
    qtbot.waitUntil(lambda: sys.getswitchinterval() == before, timeout=5000)
