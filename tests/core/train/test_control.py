"""The pause/resume/cancel token across threads."""

from __future__ import annotations

import threading

from lrpstudio.core.train.control import TrainControl


def test_pause_blocks_until_resume_and_cancel_releases() -> None:
    control = TrainControl()
    assert control.checkpoint() is False
    control.pause()
    assert control.paused
    assert control.checkpoint(timeout=0.01) is False  # still paused after the timeout
    passed = threading.Event()

    def worker() -> None:
        control.checkpoint()
        passed.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not passed.wait(0.05)
    control.resume()
    assert passed.wait(5)
    thread.join()
    control.pause()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(control.checkpoint()))
    thread.start()
    control.cancel()
    thread.join(5)
    assert result == [True] and control.cancelled and not control.paused
