"""The run folder: everything one training run leaves on disk.

```
RUN/
  config.json          all that is needed to reproduce the run (config, data hash, versions)
  metrics.csv          one row per finished epoch (rewritten atomically each epoch)
  events.jsonl         append-only JSON lines: start, epoch, checkpoint, heatmaps, end...
  checkpoints/last.pt  the latest finished epoch (epoch 0 = the initial weights)
  checkpoints/best.pt  the best epoch by the validation criterion
  heatmaps/epoch_XXX.npz, epoch_XXX.png, scale.json
```

``events.jsonl`` lets a GUI or a script follow a run live: each line is one complete
JSON object with at least ``time`` (UTC ISO-8601) and ``event``, one of ``start``,
``epoch_start``, ``batch`` (step, epoch, batch, batches, ce, guidance, total),
``heatmaps``, ``epoch_end`` (metrics, best), ``log``, and a final ``end``, ``cancelled``
or ``diverged`` (message). Lines are appended and flushed one at a time; a reader
should ignore a last line that does not parse yet.
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

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.errors import CheckpointError

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
EVENTS_FILE = "events.jsonl"
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

    def checkpoint(self, which: str = "best") -> Path:
        """Path of ``"best"``, ``"last"`` or a file name inside ``checkpoints/``."""
        name = {"best": BEST, "last": LAST}.get(which, which)
        return self.checkpoint_dir / name

    def create(self) -> None:
        """Make the folder and its sub-folders (existing ones are kept)."""
        for folder in (self.root, self.checkpoint_dir, self.heatmap_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def is_run(self) -> bool:
        """True when the folder holds a config.json."""
        return self.config_path.is_file()

    def write_config(self, record: dict[str, Any]) -> None:
        """Write config.json atomically."""
        atomic_write_text(self.config_path, json.dumps(_json_safe(record), indent=2, sort_keys=True) + "\n")

    def read_config(self) -> dict[str, Any]:
        """Read config.json; a missing or broken file is a :class:`CheckpointError`."""
        if not self.config_path.is_file():
            raise CheckpointError("not a training run (config.json missing)", self.root)
        try:
            return json.loads(self.config_path.read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f"cannot read run config: {error}", self.config_path) from error

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
        """metrics.csv as a list of dicts of floats (empty when none yet)."""
        if not self.metrics_path.is_file():
            return []
        with self.metrics_path.open(newline="") as handle:
            return [{k: float(v) if v != "" else float("nan") for k, v in row.items()}
                    for row in csv.DictReader(handle)]

    def log_event(self, event: str, sync: bool = True, **fields: Any) -> None:
        """Append one JSON line to events.jsonl (flushed; also fsynced when ``sync``).

        Frequent events (batches) skip the fsync: losing the last few after a power
        cut is harmless, and they must not slow training down.
        """
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                  "event": event, **fields}
        line = json.dumps(_json_safe(record), sort_keys=False) + "\n"
        with self.events_path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())

    def read_events(self) -> list[dict[str, Any]]:
        """All complete events so far (a partial last line is ignored)."""
        if not self.events_path.is_file():
            return []
        events = []
        for line in self.events_path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events


def _format(value: Any) -> str:
    """CSV cell: floats with full precision, NaN as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)
