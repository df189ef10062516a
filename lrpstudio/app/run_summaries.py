"""Run discovery and summaries: one row per run folder, for the Runs table and the commands.

The numbers are the best epoch's validation metrics from metrics.csv (the paper's
Table 1 columns, and balanced accuracy) until the run is evaluated on another split;
the config summary and the corrections the run's dataset used come from config.json.
A best epoch that predicts one grade for >= 95 % of its slices is named in the Collapse
column in words (runs recorded before ``val_predicted_hgg`` existed show nothing there).
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any, Iterable

from lrpstudio.app.run_groups import group_key
from lrpstudio.app.run_info import (
    has_best_model, has_last_checkpoint, image_size, is_run, read_events, read_metrics, read_record,
)
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.best_epoch import best_row
from lrpstudio.core.train.config import BEST_METRICS, TrainConfig
from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.run_record import RunRecord

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
        found += [p for p in level if is_run(p)]
    return sorted(found)


def _status(run_dir: str | Path) -> str:
    for event in reversed(read_events(run_dir)):
        name = event.get("event")
        if name in _END_EVENTS:
            return _END_EVENTS[name]
        if name == "start":
            return "running or interrupted"
    return "new"


def corrections_used(record: RunRecord) -> list[str]:
    """Case ids whose corrected mask the run's dataset was built from (its manifest)."""
    return list(record.dataset.corrections_used)


def summarize_run(run_dir: str | Path) -> dict[str, Any]:
    """One table row for a run folder (best epoch's validation metrics)."""
    record = read_record(run_dir)
    train = record.train
    guidance = train.guidance
    metrics = read_metrics(run_dir)
    best = _best_row(metrics, train.best_metric)
    share = best.get("val_predicted_hgg", math.nan) if best else math.nan
    row: dict[str, Any] = {
        "run": Path(run_dir).name, "path": str(run_dir), "status": _status(run_dir),
        "model": train.model, "guidance": guidance.kind,
        "penalty": float(guidance.penalty) if guidance.kind == "lrp" else 0.0,
        "epochs": f"{len(metrics)}/{train.epochs}",
        "best_epoch": int(best["epoch"]) if best else 0, "split": "val",
        "corrections": len(corrections_used(record)),
        "collapse": collapse_message(share) or "", "predicted_hgg": float(share),
        "seed": train.seed,
        "group": group_key(record), "config_label": config_label(train),
        "settings": settings(record),
    }
    row["summary"] = f"{row['settings']}, seed {train.seed}"
    for key in METRICS:
        row[key] = float(best[f"val_{key}"]) if best and f"val_{key}" in best else math.nan
    return row


def settings(record: RunRecord) -> str:
    """The Config cell without the seed: composite, lr, batch, size, device, and the recipe
    where the run recorded one (class balance, warm-up + ramp, best-epoch metric)."""
    train, recorded = record.train, record.recorded_options
    parts = [train.guidance.composite, f"lr {train.lr}", f"batch {train.batch_size}",
             f"{train.image_size}px", train.device]
    if "class_balance" in recorded:
        parts.append(f"balance {train.class_balance}")
    if train.warmup_epochs or train.ramp_epochs:
        parts.append(f"warm-up {train.warmup_epochs} + ramp {train.ramp_epochs}")
    if "best_metric" in recorded:
        parts.append(f"best {train.best_metric}")
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


def counted(count: int, word: str) -> str:
    """``count`` and ``word``, the word plural unless the count is one: ``1 epoch``, ``3 epochs``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def short_label(run_dir: str | Path) -> str:
    """A run's display name: the folder name when short, else model, guidance, penalty and
    the start time (HH:MM), e.g. ``paper LRP p1 15:13`` (the full name goes in tooltips)."""
    name = Path(run_dir).name
    if len(name) <= SHORT_NAME:
        return name
    try:
        record = read_record(run_dir)
    except LrpStudioError:
        return name[:SHORT_NAME - 1] + "…"
    stamp = _STAMP.match(name)
    created = record.created or ""
    when = f"{stamp[1]}:{stamp[2]}" if stamp else created[11:16]
    return " ".join(part for part in (config_label(record.train), when) if part)


def config_label(train: TrainConfig) -> str:
    """Model and loss of a run's training options, e.g. ``paper LRP p1``, ``paper LRP+ p2``
    (the additive form) or ``paper CE``."""
    guidance = train.guidance
    kind = guidance.kind
    plus = "+" if guidance.form == "additive" else ""
    how = {"none": "CE", "lrp": f"LRP{plus} p{float(guidance.penalty):g}"}.get(kind, kind.upper())
    return f"{train.model} {how}"


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
    runs = [r for r in find_runs(runs_dir) if has_last_checkpoint(r)] if runs_dir else []
    runs.sort(key=lambda r: r.name, reverse=True)  # folder names start with the date and time
    choices = []
    for run, label in zip(runs, short_labels(runs)):
        try:
            row = summarize_run(run)
        except LrpStudioError:
            continue  # a broken run cannot be resumed; the Runs table says why
        epochs = "epoch" if str(row["epochs"]).endswith("/1") else "epochs"  # done/total
        choices.append((f"{label} — {row['status']}, {row['epochs']} {epochs}", run))
    return choices


def size_problem(runs: list[Path], what: str) -> str | None:
    """Why ``what`` cannot use these runs together (one line), or None when it can.

    Fig. 5 explains the same slices with every model, so every run needs one image size.
    """
    found = [image_size(r) for r in runs]
    if None in found:
        return f"{what} needs readable runs: {runs[found.index(None)].name} has no image size in config.json"
    sizes = [int(s) for s in found if s is not None]
    if len(set(sizes)) <= 1:
        return None
    labels = short_labels(runs)
    parts = [f"{s} px ({', '.join(sorted(lab for lab, t in zip(labels, sizes) if t == s))})"
             for s in sorted(set(sizes))]
    return f"{what} needs runs of one image size: " + "; ".join(parts)


def explainable_runs(runs_dir: str | Path | None) -> list[Path]:
    """The runs under ``runs_dir`` that saved a best checkpoint (they can explain slices),
    newest first (folder names start with the date and time)."""
    runs = [run for run in find_runs(runs_dir) if has_best_model(run)] if runs_dir else []
    return sorted(runs, key=lambda r: (r.name, str(r)), reverse=True)
