"""A run's curves as data: every batch and epoch point by series, built live or from a run folder.

:class:`CurveStore` is what the Training tab's plots draw (no Qt); it is filled point by
point while a run trains, or rebuilt from a run's ``events.jsonl``, and exported as a
long-format CSV. :func:`debiased_ema` is the smoothing the plots' slider sets.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Iterable

import numpy as np

from lrpstudio.app.run_info import read_events
from lrpstudio.core.train.smoothing import debiased_ema

__all__ = ["BATCH_SERIES", "CurveStore", "Series", "is_batch_series", "debiased_ema", "read_csv_rows"]

#: Series measured every batch (the others, ``train_*`` / ``val_*``, once per epoch).
BATCH_SERIES = ("ce", "guidance", "total", "score")


class Series:
    """One curve: x by optimiser step and by (fractional) epoch, and the values.

    Points live in numpy buffers that grow by doubling, so a redraw reads views of
    them instead of converting Python lists of tens of thousands of floats each time.
    """

    def __init__(self) -> None:
        self._data = np.empty((3, 64), dtype=np.float64)  # steps, epochs, values
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, step: float, epoch: float, value: float | None) -> None:
        """Append one point (``None`` is stored as NaN)."""
        if self._size == self._data.shape[1]:
            grown = np.empty((3, 2 * self._size), dtype=np.float64)
            grown[:, :self._size] = self._data
            self._data = grown
        self._data[:, self._size] = (step, epoch, math.nan if value is None else value)
        self._size += 1

    def _view(self, row: int) -> np.ndarray:
        view = self._data[row, :self._size]
        view.flags.writeable = False
        return view

    @property
    def steps(self) -> np.ndarray:
        """Optimiser step of each point (read-only view)."""
        return self._view(0)

    @property
    def epochs(self) -> np.ndarray:
        """Fractional epoch of each point (read-only view)."""
        return self._view(1)

    @property
    def values(self) -> np.ndarray:
        """The values (read-only view; NaN where missing)."""
        return self._view(2)


def is_batch_series(name: str) -> bool:
    """True for a per-batch series (smoothed), False for a per-epoch one (drawn raw)."""
    return name in BATCH_SERIES


class CurveStore:
    """All points of one run, by series name (no Qt)."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.last_step = 0

    def add_batch(self, step: int, parts: dict[str, float]) -> None:
        """One training batch: ce, guidance, total, score at fractional epoch."""
        epoch = parts.get("epoch", 1.0) - 1.0 + parts.get("batch", 1.0) / max(parts.get("batches", 1.0), 1.0)
        for name in BATCH_SERIES:
            if name in parts:
                self.series.setdefault(name, Series()).add(step, epoch, parts[name])
        self.last_step = max(self.last_step, int(step))

    def add_epoch(self, epoch: int, row: dict[str, float], step: int | None = None) -> None:
        """One epoch's metrics row, placed at the step it ended on."""
        at = self.last_step if step is None else step
        for name, value in row.items():
            if name.startswith(("train_", "val_")):
                self.series.setdefault(name, Series()).add(at, epoch, value)

    def rows(self) -> Iterable[tuple[str, float, float, float]]:
        """(series, step, epoch, value) for every point."""
        for name, s in self.series.items():
            yield from ((name, float(a), float(b), float(v))
                        for a, b, v in zip(s.steps, s.epochs, s.values))

    def to_csv(self) -> str:
        """Long-format CSV: series, step, epoch, value."""
        lines = ["series,step,epoch,value"]
        lines += [f"{n},{int(a)},{b!r},{'' if not math.isfinite(v) else repr(v)}" for n, a, b, v in self.rows()]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_run(cls, run_dir: str | Path) -> "CurveStore":
        """Rebuild the curves of a run folder from its events.jsonl."""
        store = cls()
        for event in read_events(run_dir):
            if event.get("event") == "batch":
                parts = {k: v if v is not None else math.nan for k, v in event.items()
                         if isinstance(v, (int, float)) or v is None}
                store.add_batch(int(event["step"]), parts)
            elif event.get("event") == "epoch_end":
                metrics = {k: v if v is not None else math.nan for k, v in event["metrics"].items()}
                store.add_epoch(int(event["epoch"]), metrics)
        return store


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Read an exported curves CSV back (for checks and scripts)."""
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))
