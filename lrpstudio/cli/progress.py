"""Progress bars for long CLI work, fed by the core's progress callbacks."""

from __future__ import annotations

import sys
from typing import Callable

from tqdm import tqdm


def progress_bar(description: str, total: int | None = None, *, disable: bool = False) -> tqdm:
    """A tqdm bar on stderr (so ``--json`` output on stdout stays clean)."""
    return tqdm(total=total, desc=description, unit="it", file=sys.stderr,
                disable=disable, dynamic_ncols=True, leave=False)


def progress_callback(bar: tqdm) -> Callable[[int, int, str], None]:
    """A core-style callback ``(done, total, message)`` that drives ``bar``."""

    def update(done: int, total: int, message: str = "") -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    return update
