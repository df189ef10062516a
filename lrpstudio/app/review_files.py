"""The review queue and the per-epoch report as files: CSV (one row per slice or case) or JSON.

The CSV of a queue holds one row per slice with the largest outside component's columns
(``top_where``, ``top_mass_fraction``, ``top_voxels``, ``top_i``, ``top_j``) and the
number of components; the JSON holds every component. NaN and missing values are empty
cells in CSV and null in JSON. Files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.errors import InputError
from lrpstudio.core.review.epochs import CaseTrend
from lrpstudio.core.review.queue import QueueEntry

__all__ = ["QUEUE_COLUMNS", "write_queue_file", "write_trends_file"]

QUEUE_COLUMNS: tuple[str, ...] = (
    "rank", "key", "case_id", "split", "z", "label", "prediction", "probability_hgg", "confidence",
    "correct", "score", "outside_fraction", "edge_fraction", "background_fraction", "priority",
    "score_before", "outside_before", "components", "top_where", "top_mass_fraction", "top_voxels",
    "top_i", "top_j")
SUFFIXES = (".csv", ".json")


def _clean(value: Any) -> Any:
    """NaN / inf -> None, recursively, so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _cell(value: Any) -> str:
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _queue_row(entry: QueueEntry) -> dict[str, Any]:
    row = {k: v for k, v in asdict(entry).items() if k != "components"}
    top = entry.components[0] if entry.components else None
    row.update({"components": len(entry.components),
                "top_where": top.where if top else None,
                "top_mass_fraction": top.mass_fraction if top else None,
                "top_voxels": top.voxels if top else None,
                "top_i": top.centroid_ij[0] if top else None,
                "top_j": top.centroid_ij[1] if top else None})
    return row


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError("the output must be a .csv or .json file", path, expected=list(SUFFIXES),
                         actual=path.suffix or "no suffix")
    return suffix


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def write_queue_file(run_dir: Path, baseline: Path | None, entries: Sequence[QueueEntry], path: Path) -> Path:
    """Write a queue to ``path`` (``.csv`` or ``.json`` by suffix); returns ``path``.

    Raises
    ------
    InputError
        Any other suffix.
    """
    if _check_suffix(path) == ".csv":
        return atomic_write_text(path, _csv([_queue_row(e) for e in entries], QUEUE_COLUMNS))
    document = {"run": str(run_dir), "baseline": None if baseline is None else str(baseline),
                "entries": [asdict(e) for e in entries]}
    return atomic_write_text(path, json.dumps(_clean(document), indent=2) + "\n")


def write_trends_file(run_dir: Path, trends: Sequence[CaseTrend], path: Path) -> Path:
    """Write the per-case epoch report to ``path`` (``.csv`` or ``.json``); returns ``path``."""
    rows = [{**asdict(t), "flags": "; ".join(t.flags)} for t in trends]
    if _check_suffix(path) == ".csv":
        columns = list(CaseTrend.__dataclass_fields__)
        return atomic_write_text(path, _csv(rows, columns))
    document = {"run": str(run_dir), "cases": [asdict(t) for t in trends]}
    return atomic_write_text(path, json.dumps(_clean(document), indent=2) + "\n")
