"""A run's logs, read and checked: metrics.csv (one row per epoch) and events.jsonl.

``metrics.csv`` is rewritten atomically after every epoch; ``events.jsonl`` is appended
one complete JSON line at a time (:class:`~lrpstudio.core.train.run_folder.RunFolder`
writes both). A damaged file is a :class:`~lrpstudio.core.errors.CheckpointError` naming
the file, the line and the problem, never a traceback or silently half-read rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from lrpstudio.core.train.record_checks import FieldChecks, fail, is_int, is_number, read_bounded
from lrpstudio.core.train.run_record import CONFIG_FILE, RunRecord, read_run_record

METRICS_FILE = "metrics.csv"
EVENTS_FILE = "events.jsonl"
#: An events.jsonl line longer than this is garbage (a batch event is ~300 bytes).
MAX_EVENT_LINE = 1024 * 1024


def _cell(text: str, column: str, line: int, path: Path) -> float:
    if text == "":
        return math.nan  # NaN metrics are written as empty cells
    try:
        return float(text)
    except ValueError:
        raise fail(f"line {line}, column {column}: not a number", path, actual=repr(text[:40])) from None


def read_metrics(path: str | Path) -> list[dict[str, float]]:
    """metrics.csv: one row of floats per epoch (empty list when the file is absent).

    Raises
    ------
    CheckpointError
        Not UTF-8 text, NUL bytes, no ``epoch`` column, a row of the wrong length, a cell
        that is not a number, or an epoch that is not a whole number.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = read_bounded(path)
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        raise fail(f"line {line} holds NUL bytes (a damaged file)", path)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as error:
        raise fail(f"not a CSV table ({error})", path) from error
    numbered = [(i + 1, row) for i, row in enumerate(rows) if row]  # blank lines carry nothing
    if not numbered:
        return []
    header = numbered[0][1]
    if "epoch" not in header or len(set(header)) != len(header) or "" in header:
        raise fail("line 1 is not a metrics header", path, expected="unique column names with epoch",
                    actual=",".join(header)[:80])
    result = []
    for line, row in numbered[1:]:
        if len(row) != len(header):
            raise fail(f"line {line} has {len(row)} cells", path, expected=len(header), actual=len(row))
        values = {name: _cell(text, name, line, path) for name, text in zip(header, row)}
        epoch = values["epoch"]
        if not math.isfinite(epoch) or epoch != int(epoch) or epoch < 0:
            raise fail(f"line {line}: epoch is not a whole number", path, actual=epoch)
        result.append(values)
    return result


#: Fields that readers index, per event kind -> (check, what it must be).
_EVENT_FIELDS: dict[str, FieldChecks] = {
    "batch": {"step": (is_int, "an integer")},
    "epoch_start": {"epoch": (is_int, "an integer")},
    "epoch_end": {"epoch": (is_int, "an integer"),
                  "metrics": (lambda v: isinstance(v, dict) and all(
                      m is None or is_number(m) for m in v.values()), "an object of numbers")},
}


def _event(raw: bytes, line: int, path: Path) -> dict[str, Any]:
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise fail(f"line {line} is not JSON", path, actual=repr(raw[:40])) from None
    if not isinstance(event, dict):
        raise fail(f"line {line} is not an event", path, expected="a JSON object",
                    actual="null" if event is None else type(event).__name__)
    if not isinstance(event.get("event"), str) or not isinstance(event.get("time"), str):
        raise fail(f"line {line} is not an event", path, expected='"time" and "event" strings',
                    actual=sorted(event)[:6])
    for key, (ok, what) in _EVENT_FIELDS.get(event["event"], {}).items():
        if not ok(event.get(key)):
            raise fail(f"line {line}: {event['event']} event's {key} is missing or of the wrong type",
                        path, expected=what, actual=type(event.get(key)).__name__)
    return event


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """events.jsonl: every complete event (a last line without its newline is still being
    written and is left out; blank lines are skipped).

    Raises
    ------
    CheckpointError
        A complete line that is not a JSON object with ``time`` and ``event`` strings.
    """
    path = Path(path)
    if not path.is_file():
        return []
    events = []
    try:
        with path.open("rb") as handle:
            for line, raw in enumerate(iter(lambda: handle.readline(MAX_EVENT_LINE + 1), b""), 1):
                if not raw.endswith(b"\n"):
                    if len(raw) > MAX_EVENT_LINE:
                        raise fail(f"line {line} is too long for an event", path,
                                    expected=f"<= {MAX_EVENT_LINE} bytes")
                    break  # the line being written
                if raw.strip():
                    events.append(_event(raw, line, path))
    except OSError as error:
        raise fail(f"cannot read the file ({error.strerror or error})", path) from error
    return events


def check_run_folder(root: str | Path, *, for_resume: bool = False) -> RunRecord:
    """Read and check a run folder's config.json, metrics.csv and events.jsonl together.

    What evaluates, explains or resumes a run calls this first, so that any damaged
    record of the run is named before it is used. Returns the run's record.
    """
    root = Path(root)
    record = read_run_record(root / CONFIG_FILE, for_resume=for_resume)
    read_metrics(root / METRICS_FILE)
    read_events(root / EVENTS_FILE)
    return record
