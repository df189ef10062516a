"""The files of an experiment report: CSV (full precision), Markdown (rounded), JSON.

``write_report`` writes ``runs{suffix}.csv``, ``table1{suffix}.csv``,
``comparison{suffix}.csv``, ``table1{suffix}.md`` (Table 1 and the paired comparison)
and ``table1{suffix}.json`` (everything). A missing number (NaN: a class without
slices, the spread of a single run, a test that could not be computed) is an empty
CSV cell, ``n/a`` in Markdown and ``null`` in JSON, which has no NaN.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.train.experiment_stats import PairedComparison

#: Table 1's metrics with their Markdown headings.
HEADINGS: dict[str, str] = {
    "accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "f1_weighted": "F1 (weighted)",
    "f1_macro": "F1 (macro)", "sensitivity": "Sensitivity", "specificity": "Specificity",
    "score_lgg": "Mean score LGG", "score_hgg": "Mean score HGG",
}
#: Compared metrics with their Markdown names.
COMPARED_NAMES: dict[str, str] = {"balanced_accuracy": "balanced accuracy", "mean_score": "mean score"}
RUN_COLUMNS: tuple[str, ...] = ("model", "penalty", "seed", "fold", *HEADINGS, "mean_score", "best_epoch",
                                "collapse", "run")
COMPARISON_COLUMNS: tuple[str, ...] = ("model", "penalty", "metric", "n", "mean_difference", "ci_low",
                                       "ci_high", "p_value", "note")


@dataclass(frozen=True)
class ExperimentReport:
    """What an experiment found on one dataset.

    Attributes
    ----------
    table
        Table 1: one dict per penalty (model, penalty, runs, collapsed, ``<metric>_mean``,
        ``<metric>_sd`` for each of :data:`lrpstudio.core.train.experiment.METRICS`).
    comparison
        One dict per penalty p > 0: model, penalty, and per compared metric a
        :class:`~lrpstudio.core.train.experiment_stats.PairedComparison` as a dict.
    runs
        One dict per run: model, penalty, seed, fold, the metrics, mean_score,
        best_epoch, collapse (None or words), run (folder relative to the experiment).
    settings
        split, seeds, folds, bootstrap resamples and confidence.
    """

    table: list[dict[str, Any]]
    comparison: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)


def table_columns() -> tuple[str, ...]:
    """Columns of table1.csv: model, penalty, runs, collapsed, then mean and sd per metric."""
    return ("model", "penalty", "runs", "collapsed",
            *(f"{m}_{part}" for m in HEADINGS for part in ("mean", "sd")))


def write_report(report: "ExperimentReport", out: "Path", suffix: str = "") -> None:
    """Write every file of ``report`` into ``out`` (atomically, one by one)."""
    atomic_write_text(out / f"runs{suffix}.csv", csv_text(report.runs, RUN_COLUMNS))
    atomic_write_text(out / f"table1{suffix}.csv", csv_text(report.table, table_columns()))
    atomic_write_text(out / f"comparison{suffix}.csv",
                      csv_text(comparison_rows(report.comparison), COMPARISON_COLUMNS))
    atomic_write_text(out / f"table1{suffix}.md", markdown_report(report))
    atomic_write_text(out / f"table1{suffix}.json", json.dumps(report_json(report), indent=2) + "\n")


def plain(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def report_json(report: "ExperimentReport") -> dict[str, Any]:
    """The report as JSON-ready data: settings, table, comparison, runs."""
    return plain({"settings": report.settings, "table": report.table, "comparison": report.comparison,
                  "runs": report.runs})


def csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """CSV with a header; missing numbers and None are empty cells, floats at full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: "" if plain(row.get(k)) is None else row[k] for k in columns} for row in rows])
    return buffer.getvalue()


def comparison_rows(comparison: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison flattened: one row per penalty and compared metric."""
    return [{"model": row["model"], "penalty": row["penalty"], "metric": metric, **row[metric]}
            for row in comparison for metric in COMPARED_NAMES]


def markdown_report(report: "ExperimentReport") -> str:
    """Table 1 and, below it, the paired comparison with p = 0, as Markdown."""
    return markdown_table(report.table) + "\n" + markdown_comparison(report.comparison, report.settings)


def markdown_table(table: list[dict[str, Any]]) -> str:
    """Table 1 as Markdown: mean ± sd to two decimals (the mean alone for one run)."""
    head = ["Model", "p", "Runs", "Collapsed", *HEADINGS.values()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table:
        cells = [row["model"], f"{row['penalty']:g}", str(row["runs"]), str(row["collapsed"])]
        cells += [mean_sd_cell(row[f"{m}_mean"], row[f"{m}_sd"]) for m in HEADINGS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_comparison(comparison: list[dict[str, Any]], settings: dict[str, Any]) -> str:
    """The paired comparison as Markdown, with a line saying what was computed."""
    if not comparison:
        return "No paired comparison: p = 0 is not among the penalties.\n"
    level = f"{settings.get('confidence', 0.95) * 100:g} %"
    resamples = settings.get("bootstrap_resamples")
    intro = (f"Each penalty against p = 0 over runs with the same seed and fold: mean difference, "
             f"bootstrap {level} CI of it ({resamples:,} resamples), Wilcoxon signed-rank p (two-sided).\n\n")
    head = ["Model", "p", "Pairs"]
    for name in COMPARED_NAMES.values():
        head += [f"Δ {name}", f"{level} CI", "p (Wilcoxon)"]
    lines = ["| " + " | ".join(head + ["Note"]) + " |", "|" + "---|" * (len(head) + 1)]
    for row in comparison:
        cells = [row["model"], f"{row['penalty']:g}", str(row["pairs"])]
        notes = []
        for metric, name in COMPARED_NAMES.items():
            result = PairedComparison(**row[metric])
            cells += [_signed(result.mean_difference),
                      f"[{_signed(result.ci_low)}, {_signed(result.ci_high)}]", _p_cell(result.p_value)]
            if result.note:
                notes.append(f"{name}: {result.note}")
        lines.append("| " + " | ".join(cells + ["; ".join(notes)]) + " |")
    return intro + "\n".join(lines) + "\n"


def mean_sd_cell(mean: float | None, sd: float | None) -> str:
    """``0.72 ± 0.03``; ``0.72`` without a spread; ``n/a`` without a mean."""
    if plain(mean) is None:
        return "n/a"
    return f"{mean:.2f}" if plain(sd) is None else f"{mean:.2f} ± {sd:.2f}"


def _signed(value: float | None) -> str:
    return "n/a" if plain(value) is None else f"{value:+.2f}"


def _p_cell(value: float | None) -> str:
    if value is None or plain(value) is None:
        return "n/a"
    return f"{value:.3f}" if value >= 0.001 else "< 0.001"
