"""Wall and CPU time of repeated actions, for the benchmarks that report both."""

from __future__ import annotations

import time
from typing import Callable


def timed(repeats: int, action: Callable[[int], None]) -> tuple[list[float], list[float]]:
    """Run ``action(i)`` for ``i < repeats``; the wall and process CPU seconds of each call.

    The CPU time tells the work from the waiting on a loaded machine.
    """
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        action(i)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu
