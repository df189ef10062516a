"""The inter-process lock: a second process waits until the first lets go."""

from __future__ import annotations

import time

from lrpstudio.core.locks import file_lock
from tests.os_faults import python_child


def test_a_second_process_waits_for_the_lock(tmp_path) -> None:
    lock, held, log = tmp_path / ".lock", tmp_path / "held", tmp_path / "log"
    with file_lock(lock):
        child = python_child(
            "import pathlib\nfrom lrpstudio.core.locks import file_lock\n"
            f"pathlib.Path({str(held)!r}).touch()\n"
            f"with file_lock({str(lock)!r}):\n"
            f"    open({str(log)!r}, 'a').write('child\\n')\n")
        while not held.exists():
            time.sleep(0.01)
        time.sleep(0.5)  # the child is blocked on the lock, not writing
        with open(log, "a") as handle:
            handle.write("parent\n")
    assert child.wait(timeout=60) == 0
    assert log.read_text() == "parent\nchild\n"
