"""Runs of one configuration over several seeds, as one row and one curve (no Qt).

One seed's numbers are noise on a small test split: the Runs tab shows runs that differ
only in their seed as a group, with the mean ± sd of every metric and a mean curve with
a ± sd band. Two runs belong together when their config.json ``train`` dicts are equal
except ``seed`` and they trained on the same data (``dataset.data_hash``).
The standard deviation is the sample one (n - 1), as over repeated experiments.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.app.run_info import read_metrics
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.run_record import RunRecord
from lrpstudio.core.train.experiment_stats import mean_sd  # the statistics Table 1 uses

#: Keys of a row that can differ between the members of a group (the rest is the group's).
_MEMBER_KEYS = ("run", "path", "status", "best_epoch", "split", "seed", "collapse", "predicted_hgg",
                "summary", "epochs")


def group_key(record: RunRecord) -> str | None:
    """What makes runs one configuration: the recorded training options without the seed,
    and the data.

    None when the record does not say which data the run trained on (it groups with nothing).
    """
    data = record.dataset.data_hash
    if not data:
        return None
    same = {k: v for k, v in record.train.to_dict().items() if k in record.recorded_options and k != "seed"}
    return json.dumps({"train": same, "data": data}, sort_keys=True, default=str)


def group_rows(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows in groups (a group of one for a run without partners), in first-seen order."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        key = row.get("group") or ("single", index)
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def group_row(members: list[dict[str, Any]], metrics: tuple[str, ...], label: str) -> dict[str, Any]:
    """One table row for a group: mean (and ``<metric>_sd``) of each metric, the shared settings.

    Parameters
    ----------
    members
        The runs' rows (:func:`lrpstudio.app.run_summaries.summarize_run`).
    metrics
        The metric keys to average.
    label
        The group's name in the Run column.
    """
    first = members[0]
    row = {k: v for k, v in first.items() if k not in _MEMBER_KEYS}
    seeds = [m.get("seed") for m in members]
    statuses = sorted({str(m.get("status", "?")) for m in members})
    splits = sorted({str(m.get("split", "?")) for m in members})
    collapsed = [m for m in members if m.get("collapse")]
    row.update({
        "run": f"{label} ×{len(members)}", "path": first["path"],
        "paths": [m["path"] for m in members], "members": members,
        "status": statuses[0] if len(statuses) == 1 else "mixed: " + ", ".join(statuses),
        "split": splits[0] if len(splits) == 1 else "mixed",
        "epochs": _joined([m.get("epochs", "?") for m in members]),
        "best_epoch": _joined([m.get("best_epoch", "?") for m in members]),
        "collapse": (f"{len(collapsed)} of {len(members)} seeds" if collapsed else ""),
        "collapse_detail": "\n".join(f"seed {m.get('seed')}: the model {m['collapse']}" for m in collapsed),
        "summary": f"{first.get('settings', '')}, seeds {', '.join(str(s) for s in seeds)}",
    })
    for key in metrics:
        row[key], row[f"{key}_sd"] = mean_sd([m.get(key, math.nan) for m in members])
    return row


def _joined(values: list[Any]) -> str:
    """One value when the members agree (``3/3``), else each one (``3/3 2/3``, ``2,3``)."""
    texts = [str(v) for v in values]
    if len(set(texts)) == 1:
        return texts[0]
    return (" " if any("/" in t for t in texts) else ",").join(texts)


def mean_curve(runs: list[Path], metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epochs, mean and sample sd of ``metric`` over the runs (metrics.csv), by epoch.

    Each epoch averages the runs that have a finite value there (a run stopped early
    leaves the later epochs to the others); the sd is NaN where only one run has one.
    Unreadable runs are left out.
    """
    by_epoch: dict[int, list[float]] = {}
    for run in runs:
        try:
            rows = read_metrics(run)
        except LrpStudioError:
            continue
        for r in rows:
            value = r.get(metric, math.nan)
            if math.isfinite(value):
                by_epoch.setdefault(int(r["epoch"]), []).append(float(value))
    epochs = sorted(by_epoch)
    stats = [mean_sd(by_epoch[e]) for e in epochs]
    return (np.asarray(epochs, float), np.asarray([m for m, _ in stats], float),
            np.asarray([s for _, s in stats], float))
