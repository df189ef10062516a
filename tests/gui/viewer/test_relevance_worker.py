"""The relevance layer's thread: answers jobs in order (a cancelled job without an error, a
failing one with it), and ends by itself when idle."""

from __future__ import annotations

from lrpstudio.app.relevance_layer import CancelledError
from lrpstudio.gui.common.workers import CancelToken
from lrpstudio.gui.viewer.relevance_worker import Job, LayerThread


def _cancelled(_token: CancelToken) -> int:
    raise CancelledError("stop")


def _broken(_token: CancelToken) -> int:
    raise ValueError("broken model")


def test_jobs_are_answered_and_the_idle_thread_ends(qtbot) -> None:
    thread = LayerThread(idle_seconds=0.2)
    answers: list[tuple] = []
    thread.done.connect(lambda key, result, error: answers.append((key, result, type(error).__name__)))
    thread.start()
    for key, compute in (("a", lambda _t: 1), ("b", _cancelled), ("c", _broken), ("d", lambda t: int(t.cancelled))):
        thread.submit(Job(key, compute, CancelToken()))
    qtbot.waitUntil(lambda: len(answers) == 4, timeout=10_000)
    assert answers == [("a", 1, "NoneType"), ("b", None, "NoneType"), ("c", None, "ValueError"),
                       ("d", 0, "NoneType")]
    qtbot.waitUntil(thread.isFinished, timeout=10_000)  # idle: it ended without being asked
    assert thread.wait(1000)
