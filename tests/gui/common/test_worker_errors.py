"""A background job that ends with an error: a fault is logged with its traceback, a cancel is not."""

from __future__ import annotations

from lrpstudio.core.errors import CancelledError
from lrpstudio.gui.common.workers import Worker

TIMEOUT_MS = 30_000


def test_a_cancelled_job_is_logged_without_a_traceback(qtbot, caplog) -> None:
    def job(_progress, _cancel):  # noqa: ANN001, ANN202
        raise CancelledError("the measurement was cancelled")

    worker = Worker(job)
    failed: list[BaseException] = []
    worker.failed.connect(failed.append)
    with caplog.at_level("INFO", logger="lrpstudio.gui.common.workers"), qtbot.waitSignal(worker.finished,
                                                                                          timeout=TIMEOUT_MS):
        worker.start()
    qtbot.waitUntil(lambda: bool(failed), timeout=TIMEOUT_MS)
    assert isinstance(failed[0], CancelledError)
    assert [r.levelname for r in caplog.records] == ["INFO"] and caplog.records[0].exc_info is None


def test_a_failed_job_is_logged_with_its_traceback(qtbot, caplog) -> None:
    def job(_progress, _cancel):  # noqa: ANN001, ANN202
        raise ValueError("broken")

    worker = Worker(job)
    with caplog.at_level("INFO", logger="lrpstudio.gui.common.workers"), qtbot.waitSignal(worker.finished,
                                                                                          timeout=TIMEOUT_MS):
        worker.start()
    assert [r.levelname for r in caplog.records] == ["ERROR"] and caplog.records[0].exc_info is not None
