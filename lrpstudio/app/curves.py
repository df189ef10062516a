"""A run's curves as data: every batch and epoch point by series, built live or from a run folder.

:class:`CurveStore` is what the Training tab's plots draw (no Qt); it is filled point by
point while a run trains, or rebuilt from a run's ``events.jsonl``, and exported as a
long-format CSV. :func:`debiased_ema` is the smoothing the plots' slider sets. Every point
also has its wall-clock time, in seconds since the run started (from the events' times,
or the clock while it trains), for a time axis; :func:`epoch_times` gives those of a
run's epochs for the Runs tab's overlay.
"""

from __future__ import annotations

import csv
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from lrpstudio.app.run_info import read_events
from lrpstudio.core.train.smoothing import debiased_ema

__all__ = ["BATCH_SERIES", "CurveStore", "Series", "is_batch_series", "debiased_ema", "epoch_times",
           "event_time", "mean_epoch_times", "read_csv_rows"]

#: Series measured every batch (the others, ``train_*`` / ``val_*``, once per epoch).
BATCH_SERIES = ("ce", "guidance", "total", "score")


class Series:
    """One curve: x by optimiser step, (fractional) epoch and elapsed seconds, and the values.

    Points live in numpy buffers that grow by doubling, so a redraw reads views of
    them instead of converting Python lists of tens of thousands of floats each time.
    """

    def __init__(self) -> None:
        self._data = np.empty((4, 64), dtype=np.float64)  # steps, epochs, values, seconds
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, step: float, epoch: float, value: float | None, seconds: float = math.nan) -> None:
        """Append one point (``None`` is stored as NaN); ``seconds`` since the run started."""
        if self._size == self._data.shape[1]:
            grown = np.empty((4, 2 * self._size), dtype=np.float64)
            grown[:, :self._size] = self._data
            self._data = grown
        self._data[:, self._size] = (step, epoch, math.nan if value is None else value, seconds)
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

    @property
    def seconds(self) -> np.ndarray:
        """Wall-clock seconds since the run started, of each point (read-only view)."""
        return self._view(3)


def is_batch_series(name: str) -> bool:
    """True for a per-batch series (smoothed), False for a per-epoch one (drawn raw)."""
    return name in BATCH_SERIES


class CurveStore:
    """All points of one run, by series name (no Qt)."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.last_step = 0
        #: POSIX time the run started (its first event, or the first point added live).
        self.started: float | None = None

    def elapsed(self, when: float | None = None) -> float:
        """Seconds from the run's start to ``when`` (POSIX time; default now)."""
        when = time.time() if when is None else when
        if self.started is None:
            self.started = when
        return when - self.started

    def add_batch(self, step: int, parts: dict[str, float], when: float | None = None) -> None:
        """One training batch: ce, guidance, total, score at fractional epoch, at ``when``
        (POSIX time; default now)."""
        epoch = parts.get("epoch", 1.0) - 1.0 + parts.get("batch", 1.0) / max(parts.get("batches", 1.0), 1.0)
        seconds = self.elapsed(when)
        for name in BATCH_SERIES:
            if name in parts:
                self.series.setdefault(name, Series()).add(step, epoch, parts[name], seconds)
        self.last_step = max(self.last_step, int(step))

    def add_epoch(self, epoch: int, row: dict[str, float], step: int | None = None,
                  when: float | None = None) -> None:
        """One epoch's metrics row, placed at the step it ended on, at ``when`` (default now)."""
        at = self.last_step if step is None else step
        seconds = self.elapsed(when)
        for name, value in row.items():
            if name.startswith(("train_", "val_")):
                self.series.setdefault(name, Series()).add(at, epoch, value, seconds)

    def rows(self) -> Iterable[tuple[str, float, float, float]]:
        """(series, step, epoch, value) for every point."""
        for name, s in self.series.items():
            yield from ((name, float(a), float(b), float(v))
                        for a, b, v in zip(s.steps, s.epochs, s.values))

    def to_csv(self) -> str:
        """Long-format CSV: series, step, epoch, value (the time axis is not exported)."""
        lines = ["series,step,epoch,value"]
        lines += [f"{n},{int(a)},{b!r},{'' if not math.isfinite(v) else repr(v)}" for n, a, b, v in self.rows()]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_run(cls, run_dir: str | Path) -> "CurveStore":
        """Rebuild the curves of a run folder from its events.jsonl."""
        store = cls()
        events = read_events(run_dir)
        if events:
            store.started = event_time(events[0])
        for event in events:
            if event.get("event") == "batch":
                parts = {k: v if v is not None else math.nan for k, v in event.items()
                         if isinstance(v, (int, float)) or v is None}
                store.add_batch(int(event["step"]), parts, event_time(event))
            elif event.get("event") == "epoch_end":
                metrics = {k: v if v is not None else math.nan for k, v in event["metrics"].items()}
                store.add_epoch(int(event["epoch"]), metrics, when=event_time(event))
        return store


def event_time(event: dict[str, Any]) -> float:
    """An event's ``time`` (ISO 8601, UTC) as POSIX seconds."""
    return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()


def epoch_times(run_dir: str | Path) -> dict[int, float]:
    """Seconds from a run's first event to the end of each epoch (the last end of an
    epoch trained twice, as after a resume), by epoch number."""
    events = read_events(run_dir)
    if not events:
        return {}
    start = event_time(events[0])
    return {int(e["epoch"]): event_time(e) - start for e in events if e.get("event") == "epoch_end"}


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Read an exported curves CSV back (for checks and scripts)."""
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))


def mean_epoch_times(runs: list[Path], epochs: np.ndarray) -> np.ndarray:
    """The mean of :func:`epoch_times` over ``runs`` at each of ``epochs`` (NaN where none
    of them recorded that epoch): a group of seeds' curve on a time axis."""
    times = [epoch_times(run) for run in runs]
    out = np.full(len(epochs), np.nan)
    for i, epoch in enumerate(epochs):
        found = [t[int(epoch)] for t in times if int(epoch) in t]
        if found:
            out[i] = float(np.mean(found))
    return out
