"""The run folder: everything one training run leaves on disk.

```
RUN/
  config.json          all that is needed to reproduce the run (config, data hash, versions)
  metrics.csv          one row per finished epoch (rewritten atomically each epoch)
  events.jsonl         append-only JSON lines: start, epoch, checkpoint, heatmaps, end...
  checkpoints/last.pt  the latest finished epoch (epoch 0 = the initial weights)
  checkpoints/best.pt  the best epoch by the validation criterion
  heatmaps/epoch_XXX.npz, epoch_XXX.png, scale.json
  review/epoch_XXX.npz  per finished epoch, each validation case's 2 largest-tumour slices: prediction, score and
                       shares of positive relevance in the tumour / brain edge / inside brain /
                       background (lrpstudio.core.review.epochs; redone epochs are overwritten)
```

``events.jsonl`` lets a GUI or a script follow a run live: each line is one complete
JSON object with at least ``time`` (UTC ISO-8601) and ``event``, one of ``start``,
``epoch_start``, ``batch`` (step, epoch, batch, batches, ce, guidance, total),
``heatmaps``, ``epoch_end`` (metrics, best), ``log``, and a final ``end``, ``cancelled``
or ``diverged`` (message). Lines are appended and flushed one at a time; a reader
should ignore a last line that does not parse yet.

config.json is a typed :class:`~lrpstudio.core.train.run_record.RunRecord`. Reading is
validated (:mod:`lrpstudio.core.train.run_record`, :mod:`lrpstudio.core.train.run_logs`):
a damaged record is a one-line :class:`CheckpointError` naming the file, never a
traceback or silently half-read data. A line torn by a killed writer is cut off before
the next append.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lrpstudio.core.atomic import atomic_write_text, make_dirs
from lrpstudio.core.errors import storage_error
from lrpstudio.core.train.run_logs import EVENTS_FILE, MAX_EVENT_LINE, METRICS_FILE, read_events, read_metrics
from lrpstudio.core.train.run_record import (CONFIG_FILE, PINNED_FILE, PinnedRecord, RunRecord,
                                             read_pinned_record, read_run_record)
CHECKPOINT_DIR = "checkpoints"
HEATMAP_DIR = "heatmaps"
LAST = "last.pt"
BEST = "best.pt"


def _json_safe(value: Any) -> Any:
    """NaN/inf become None so that the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


class RunFolder:
    """Paths and writers of one run folder.

    Parameters
    ----------
    root
        The run folder (created by :meth:`create`).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._tail_checked = False  # log_event cuts a torn last line once per folder object

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def metrics_path(self) -> Path:
        return self.root / METRICS_FILE

    @property
    def events_path(self) -> Path:
        return self.root / EVENTS_FILE

    @property
    def checkpoint_dir(self) -> Path:
        return self.root / CHECKPOINT_DIR

    @property
    def heatmap_dir(self) -> Path:
        return self.root / HEATMAP_DIR

    @property
    def pinned_path(self) -> Path:
        """``heatmaps/pinned.json``: the pinned slices and the run's colour scale."""
        return self.heatmap_dir / PINNED_FILE

    def checkpoint(self, which: str = "best") -> Path:
        """Path of ``"best"``, ``"last"`` or a file name inside ``checkpoints/``."""
        name = {"best": BEST, "last": LAST}.get(which, which)
        return self.checkpoint_dir / name

    def create(self) -> None:
        """Make the folder and its sub-folders (existing ones are kept)."""
        for folder in (self.root, self.checkpoint_dir, self.heatmap_dir):
            make_dirs(folder)

    def is_run(self) -> bool:
        """True when the folder holds a config.json."""
        return self.config_path.is_file()

    def write_config(self, record: RunRecord) -> None:
        """Write config.json atomically (stamped with the current record version)."""
        atomic_write_text(self.config_path,
                          json.dumps(_json_safe(record.to_json()), indent=2, sort_keys=True) + "\n")

    def read_config(self) -> RunRecord:
        """Read config.json, checked; a missing or broken file is a :class:`CheckpointError`."""
        return read_run_record(self.config_path)

    def write_pinned(self, record: PinnedRecord) -> None:
        """Write heatmaps/pinned.json atomically."""
        atomic_write_text(self.pinned_path, json.dumps(_json_safe(record.to_json()), indent=2) + "\n")

    def read_pinned(self) -> PinnedRecord | None:
        """heatmaps/pinned.json, checked (None before the run pinned its slices)."""
        return read_pinned_record(self.pinned_path)

    def write_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Rewrite metrics.csv atomically with ``rows`` (one per epoch, same keys)."""
        if not rows:
            return
        fields = list(rows[0])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _format(row.get(k)) for k in fields})
        atomic_write_text(self.metrics_path, buffer.getvalue())

    def read_metrics(self) -> list[dict[str, float]]:
        """metrics.csv as a list of dicts of floats (empty when none yet), checked."""
        return read_metrics(self.metrics_path)

    def log_event(self, event: str, sync: bool = True, **fields: Any) -> None:
        """Append one JSON line to events.jsonl (flushed; also fsynced when ``sync``).

        Frequent events (batches) skip the fsync: losing the last few after a power
        cut is harmless, and they must not slow training down.
        """
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                  "event": event, **fields}
        line = json.dumps(_json_safe(record), sort_keys=False) + "\n"
        try:
            with self.events_path.open("ab") as handle:
                if not self._tail_checked:
                    _cut_torn_line(handle)
                    self._tail_checked = True
                handle.write(line.encode("utf-8"))
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
        except OSError as error:
            raise storage_error(error, self.events_path) from error

    def read_events(self) -> list[dict[str, Any]]:
        """All complete events so far (a partial last line is ignored), checked."""
        return read_events(self.events_path)


def _cut_torn_line(handle: Any) -> None:
    """Truncate a last line without its newline (a writer killed mid-line) before appending.

    Appending after it would glue the next event onto the torn one: a line that is no
    longer "being written" but damaged for good.
    """
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return
    with open(handle.name, "rb") as reader:
        start = max(0, end - MAX_EVENT_LINE)
        reader.seek(start)
        tail = reader.read()
    if tail.endswith(b"\n"):
        return
    cut = tail.rfind(b"\n")
    handle.truncate(start + cut + 1 if cut >= 0 else start)


def _format(value: Any) -> str:
    """CSV cell: floats with full precision, NaN as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)
