"""Rows of the runs table: one summary per run folder (no Qt).

The numbers are the best epoch's validation metrics from metrics.csv (the paper's
Table 1 columns, and balanced accuracy) until the run is evaluated on another split;
the config summary and the corrections the run's dataset used come from config.json.
A best epoch that predicts one grade for >= 95 % of its slices is named in the Collapse
column in words (runs recorded before ``val_predicted_hgg`` existed show nothing there).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any, Iterable

from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.best_epoch import best_row
from lrpstudio.core.train.config import BEST_METRICS
from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.gui.run_groups import group_key

#: (key, header) of the table, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("run", "Run"), ("status", "Status"), ("model", "Model"), ("guidance", "Guidance"),
    ("penalty", "p"), ("epochs", "Epochs"), ("best_epoch", "Best"), ("split", "Split"),
    ("collapse", "Collapse"), ("balanced_accuracy", "Balanced accuracy"), ("accuracy", "Accuracy"),
    ("f1_weighted", "F1 (weighted)"), ("sensitivity", "Sensitivity"),
    ("specificity", "Specificity"), ("score_lgg", "Score LGG"), ("score_hgg", "Score HGG"),
    ("corrections", "Corrected masks"), ("summary", "Config"),
)
METRICS: tuple[str, ...] = ("balanced_accuracy", "accuracy", "f1_weighted", "sensitivity",
                            "specificity", "score_lgg", "score_hgg")
_END_EVENTS = {"end": "finished", "cancelled": "stopped", "diverged": "diverged"}
#: Folder names up to this length are short enough to show as they are.
SHORT_NAME = 20
_STAMP = re.compile(r"^\d{8}-(\d{2})(\d{2})(\d{2})")


def find_runs(root: str | Path, depth: int = 2) -> list[Path]:
    """Run folders (holding config.json) under ``root``, down to ``depth`` levels, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    level = [root]
    for _ in range(depth):
        level = sorted(p for folder in level for p in folder.iterdir() if p.is_dir())
        found += [p for p in level if RunFolder(p).is_run()]
    return sorted(found)


def _status(folder: RunFolder) -> str:
    for event in reversed(folder.read_events()):
        name = event.get("event")
        if name in _END_EVENTS:
            return _END_EVENTS[name]
        if name == "start":
            return "running or interrupted"
    return "new"


def corrections_used(record: dict[str, Any]) -> list[str]:
    """Case ids whose corrected mask the run's dataset was built from (its manifest)."""
    cases = record.get("dataset", {}).get("manifest", {}).get("cases", {})
    if not isinstance(cases, dict):
        return []
    return sorted(case for case, info in cases.items()
                  if isinstance(info, dict) and (info.get("correction") or info.get("corrected")))


def summarize_run(run_dir: str | Path) -> dict[str, Any]:
    """One table row for a run folder (best epoch's validation metrics)."""
    folder = RunFolder(run_dir)
    record = folder.read_config()
    train = record.get("train", {})
    guidance = train.get("guidance", {})
    metrics = folder.read_metrics()
    best = _best_row(metrics, train.get("best_metric", "f1_weighted"))
    share = best.get("val_predicted_hgg", math.nan) if best else math.nan
    row: dict[str, Any] = {
        "run": Path(run_dir).name, "path": str(run_dir), "status": _status(folder),
        "model": train.get("model", "?"), "guidance": guidance.get("kind", "?"),
        "penalty": float(guidance.get("penalty", 0.0)) if guidance.get("kind") == "lrp" else 0.0,
        "epochs": f"{len(metrics)}/{train.get('epochs', '?')}",
        "best_epoch": int(best["epoch"]) if best else 0, "split": "val",
        "corrections": len(corrections_used(record)),
        "collapse": collapse_message(share) or "", "predicted_hgg": float(share),
        "seed": train.get("seed"),
        "group": group_key(record), "config_label": config_label(train),
        "settings": settings(train),
    }
    row["summary"] = f"{row['settings']}, seed {train.get('seed')}"
    for key in METRICS:
        row[key] = float(best[f"val_{key}"]) if best and f"val_{key}" in best else math.nan
    return row


def settings(train: dict[str, Any]) -> str:
    """The Config cell without the seed: composite, lr, batch, size, device, and the recipe
    where the run recorded one (class balance, warm-up + ramp, best-epoch metric)."""
    guidance = train.get("guidance", {})
    parts = [str(guidance.get("composite", "")), f"lr {train.get('lr')}", f"batch {train.get('batch_size')}",
             f"{train.get('image_size')}px", str(train.get("device"))]
    if "class_balance" in train:
        parts.append(f"balance {train['class_balance']}")
    if train.get("warmup_epochs") or train.get("ramp_epochs"):
        parts.append(f"warm-up {train.get('warmup_epochs', 0)} + ramp {train.get('ramp_epochs', 0)}")
    if "best_metric" in train:
        parts.append(f"best {train['best_metric']}")
    return ", ".join(parts)


def collapse_mark(row: dict[str, Any]) -> str:
    """The Collapse cell: ``all LGG``, ``97% HGG`` (the words are in its tooltip), or ''."""
    if not row.get("collapse"):
        return ""
    share = row.get("predicted_hgg", math.nan)
    if not isinstance(share, float) or not math.isfinite(share):
        return str(row["collapse"])  # evaluated rows keep the evaluation's own words
    grade, part = ("HGG", share) if share >= 0.5 else ("LGG", 1.0 - share)
    return f"all {grade}" if part >= 1.0 else f"{part:.0%} {grade}"


def _best_row(rows: list[dict[str, float]], metric: str) -> dict[str, float] | None:
    """The epoch the engine kept as best (the core's rule), else the last one."""
    complete = [r for r in rows if f"val_{metric}" in r and "val_total" in r]
    best = best_row(complete, metric) if metric in BEST_METRICS else None
    return dict(best) if best is not None else (rows[-1] if rows else None)


def unreadable(error: BaseException) -> str:
    """The status of a run that cannot be read: ``unreadable: <file>: <what is wrong>``."""
    if isinstance(error, LrpStudioError) and error.path is not None:
        return f"unreadable: {error.path.name}: {error.detail()}"
    return f"unreadable: {error}"


def summarize_all(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Rows of every readable run (a broken run gets a row saying so, and why)."""
    rows = []
    for path in paths:
        try:
            rows.append(summarize_run(path))
        except (LrpStudioError, OSError, ValueError, KeyError, TypeError) as error:
            rows.append({"run": path.name, "path": str(path), "status": unreadable(error)})
    return rows


def cell(value: Any, key: str = "") -> str:
    """How a value appears in the table and the Markdown export.

    Metrics always carry three decimals (0.000 and 1.000 beside 0.750, never 0 and 1);
    other numbers (the penalty p) are written as short as they are exact.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.3f}" if key in METRICS else f"{value:g}"
    return "" if value is None else str(value)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The table as CSV (full precision)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[k for k, _ in COLUMNS] + ["path"],
                            lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and not math.isfinite(v) else v)
                         for k, v in row.items()})
    return buffer.getvalue()


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown (numbers to three decimals)."""
    keys = [k for k, _ in COLUMNS]
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(k), k).replace("|", "/") for k in keys) + " |")
    return "\n".join(lines) + "\n"


def short_label(run_dir: str | Path) -> str:
    """A run's display name: the folder name when short, else model, guidance, penalty and
    the start time (HH:MM), e.g. ``paper LRP p1 15:13`` (the full name goes in tooltips)."""
    name = Path(run_dir).name
    if len(name) <= SHORT_NAME:
        return name
    try:
        record = RunFolder(run_dir).read_config()
    except LrpStudioError:
        return name[:SHORT_NAME - 1] + "…"
    stamp = _STAMP.match(name)
    created = str(record.get("created", ""))
    when = f"{stamp[1]}:{stamp[2]}" if stamp else created[11:16]
    return " ".join(part for part in (config_label(record.get("train", {})), when) if part)


def config_label(train: dict[str, Any]) -> str:
    """Model and loss of a run's ``train`` record, e.g. ``paper LRP p1``, ``paper LRP+ p2``
    (the additive form) or ``paper CE``."""
    guidance = train.get("guidance", {})
    kind = str(guidance.get("kind", "?"))
    plus = "+" if guidance.get("form") == "additive" else ""
    how = {"none": "CE", "lrp": f"LRP{plus} p{float(guidance.get('penalty', 0.0)):g}"}.get(kind, kind.upper())
    return f"{train.get('model', '?')} {how}"


def short_labels(runs: list[Path]) -> list[str]:
    """:func:`short_label` of each run, made unique (seconds, then a counter, added)."""
    labels = [short_label(r) for r in runs]
    clashes = {label for label in labels if labels.count(label) > 1}
    for i, run in enumerate(runs):
        stamp = _STAMP.match(run.name)
        if labels[i] in clashes and stamp and labels[i] != run.name:
            labels[i] += f":{stamp[3]}"
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        labels[i] = label if seen[label] == 1 else f"{label} #{seen[label]}"
    return labels


def resume_choices(runs_dir: str | Path | None) -> list[tuple[str, Path]]:
    """Runs that can be resumed (they saved a checkpoint), newest first, with a label each:
    ``"paper LRP p1 15:13 — cancelled, 3/8 epochs"``."""
    runs = [r for r in find_runs(runs_dir) if RunFolder(r).checkpoint("last").is_file()] if runs_dir else []
    runs.sort(key=lambda r: r.name, reverse=True)  # folder names start with the date and time
    choices = []
    for run, label in zip(runs, short_labels(runs)):
        try:
            row = summarize_run(run)
        except LrpStudioError:
            continue  # a broken run cannot be resumed; the Runs table says why
        choices.append((f"{label} — {row['status']}, {row['epochs']} epochs", run))
    return choices


def image_size(run_dir: str | Path) -> int | None:
    """The image size a run was trained at (None when its config does not say)."""
    try:
        size = RunFolder(run_dir).read_config().get("train", {}).get("image_size")
    except LrpStudioError:
        return None
    return int(size) if isinstance(size, (int, float)) else None


def size_problem(runs: list[Path], what: str) -> str | None:
    """Why ``what`` cannot use these runs together (one line), or None when it can.

    Fig. 5 explains the same slices with every model, so every run needs one image size.
    """
    sizes = [image_size(r) for r in runs]
    if None in sizes:
        return f"{what} needs readable runs: {runs[sizes.index(None)].name} has no image size in config.json"
    if len(set(sizes)) <= 1:
        return None
    labels = short_labels(runs)
    parts = [f"{s} px ({', '.join(sorted(lab for lab, t in zip(labels, sizes) if t == s))})"
             for s in sorted(set(sizes))]
    return f"{what} needs runs of one image size: " + "; ".join(parts)


def pinned_slices(run_dir: str | Path) -> list[tuple[str, int]]:
    """The (case, slice) pairs of a run's Fig. 7 heatmaps, in column order (heatmaps/pinned.json)."""
    path = RunFolder(run_dir).heatmap_dir / "pinned.json"
    if not path.is_file():
        return []
    try:
        record = json.loads(path.read_text())
        return [(str(s["case"]), int(s["slice"])) for s in record.get("slices", [])]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LrpStudioError(f"cannot read the pinned slices: {error}", path) from error


def fill_run_box(box: Any, runs_dir: Path | None) -> None:
    """List the runs under ``runs_dir`` that have a best checkpoint in ``box`` (a QComboBox).

    The selected run stays selected when it is still there.
    """
    current = box.currentData()
    box.clear()
    for run in find_runs(runs_dir) if runs_dir else []:
        if RunFolder(run).checkpoint("best").is_file():
            box.addItem(run.name, str(run))
    index = box.findData(current)
    if index >= 0:
        box.setCurrentIndex(index)
