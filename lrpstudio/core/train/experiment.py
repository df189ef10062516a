"""The paper's comparison: one model per penalty, same seed and data (Table 1, Fig. 5).

``run_experiment`` trains one run per penalty p into ``OUT/p<p>/`` (p = 0 is plain
cross-entropy), evaluates each best model on the test split, and writes
``table1.csv``, ``table1.md`` and ``fig5.png`` (input, mask, then each model's heatmap
with score and prediction, for the same test slices). A finished run is reused and an
unfinished one resumed, so an interrupted experiment continues where it stopped.

Under torchrun the runs are spread over the processes, each rank training whole runs
(run i on rank i mod world size, each an ordinary single-process :func:`fit` with the
experiment's seed), so the runs and Table 1 are the same as in one process; rank 0
waits for all runs and then writes the tables and the figure.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import DatasetError, LrpStudioError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.distributed import SINGLE, DistContext, agree, any_rank
from lrpstudio.core.train.engine import RunResult, TrainCallbacks, fit, to_batch
from lrpstudio.core.train.evaluate import evaluate_run, load_run_model
from lrpstudio.core.train.heatmaps import (
    display_channel, explain_batch, pin_slices, render_comparison_png,
)
from lrpstudio.core.train.run_folder import RunFolder

TABLE_COLUMNS: tuple[str, ...] = ("model", "penalty", "accuracy", "f1_weighted", "sensitivity",
                                  "specificity", "score_lgg", "score_hgg", "best_epoch")


@dataclass(frozen=True)
class ExperimentConfig:
    """An experiment: the base training config and the penalties to compare.

    Attributes
    ----------
    train
        Settings shared by every run (seed, epochs, model...); its guidance is the
        template whose penalty is varied.
    penalties
        LRPLoss powers p; 0 = plain cross-entropy.
    split
        Split the table and the figure are computed on.
    figure_slices
        Rows of the Fig. 5 grid (slices of both classes from ``split``).
    """

    train: TrainConfig
    penalties: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0)
    split: str = "test"
    figure_slices: int = 4


def model_name(penalty: float) -> str:
    """The paper's names: ``Original`` for p = 0, ``PenalizationP`` otherwise."""
    return "Original" if penalty == 0 else f"Penalization{penalty:g}"


def run_name(penalty: float) -> str:
    """Sub-folder of the run with penalty p, e.g. ``p0``, ``p1``, ``p0.5``."""
    return f"p{penalty:g}"


def penalty_config(train: TrainConfig, penalty: float) -> TrainConfig:
    """The base config with LRPLoss power ``penalty`` (plain CE for 0)."""
    kind = "none" if penalty == 0 else "lrp"
    return replace(train, guidance=replace(train.guidance, kind=kind, penalty=float(penalty)))


def _train_one(config: TrainConfig, dataset: SliceDataset, run_dir: Path,
               callbacks: TrainCallbacks | None, control: TrainControl | None) -> RunResult | None:
    """Train (or resume, or reuse) one run; None when it was already finished."""
    folder = RunFolder(run_dir)
    if folder.is_run() and folder.checkpoint("last").is_file():
        done = len(folder.read_metrics())
        saved = TrainConfig.from_dict(folder.read_config()["train"])
        if done >= config.epochs and replace(saved, epochs=config.epochs) == replace(
                config, image_size=saved.image_size, in_channels=saved.in_channels):
            return None
        return fit(config, dataset, callbacks, control, run_dir, resume=True)
    return fit(config, dataset, callbacks, control, run_dir)


def run_experiment(dataset: SliceDataset, out: str | Path, config: ExperimentConfig,
                   callbacks: Callable[[float], TrainCallbacks] | None = None,
                   control: TrainControl | None = None,
                   test_data: SliceDataset | None = None,
                   dist: DistContext = SINGLE) -> list[dict[str, Any]]:
    """Train one model per penalty and write Table 1 and Fig. 5 into ``out``.

    Parameters
    ----------
    dataset
        Slices with train/val/test splits.
    out
        Experiment folder.
    config
        Base settings and penalties.
    callbacks
        ``penalty -> TrainCallbacks`` for each run (progress bars, GUI signals).
    control
        One token for the whole experiment; cancelling stops after the current batch.
    test_data
        Optional second dataset (e.g. the same kind of data without a confounder):
        its ``config.split`` gives ``table1_external.*`` and ``fig5_external.png``.
    dist
        The torchrun job: each rank trains the runs ``penalties[rank::world_size]``.

    Returns
    -------
    list of dict
        Table 1 rows on ``dataset`` (empty when cancelled, and on ranks other than 0).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for data in (dataset, test_data):
        if data is not None and len(data.subset(config.split)) == 0:
            raise DatasetError(f"the {config.split!r} split is empty: nothing to compare on",
                               expected="> 0 slices", actual=0)
    cancelled = _train_share(dataset, out, config, callbacks, control, dist)
    if any_rank(cancelled, dist) or not dist.is_main:
        return []
    rows = compare(dataset, out, config, "")
    if test_data is not None:
        compare(test_data, out, config, "_external")
    return rows


def _train_share(dataset: SliceDataset, out: Path, config: ExperimentConfig,
                 callbacks: Callable[[float], TrainCallbacks] | None, control: TrainControl | None,
                 dist: DistContext) -> bool:
    """Train this rank's runs; True when cancelled. Every rank learns if one failed."""
    try:
        for penalty in config.penalties[dist.rank::dist.world_size]:
            result = _train_one(penalty_config(config.train, penalty), dataset, out / run_name(penalty),
                                callbacks(penalty) if callbacks else None, control)
            if result is not None and result.status == "cancelled":
                break
        else:
            result = None
    except BaseException:
        agree(False, dist)
        raise
    if not agree(True, dist):
        raise LrpStudioError("a run of the experiment failed on another rank (see its error)", out)
    return result is not None and result.status == "cancelled"


def compare(dataset: SliceDataset, out: Path, config: ExperimentConfig, suffix: str) -> list[dict[str, Any]]:
    """Evaluate every run of the experiment on ``dataset``; write table1{suffix}.* and fig5{suffix}.png."""
    rows = []
    for penalty in config.penalties:
        run_dir = out / run_name(penalty)
        metrics = evaluate_run(run_dir, dataset, config.split, device=config.train.device)
        _, _, payload = load_run_model(run_dir, "best")
        rows.append({"model": model_name(penalty), "penalty": float(penalty),
                     **{k: metrics[k] for k in TABLE_COLUMNS[2:8]},
                     "best_epoch": int(payload["epoch"])})
    write_tables(rows, out, suffix)
    comparison_figure(dataset, out, config, suffix)
    return rows


def write_tables(rows: list[dict[str, Any]], out: Path, suffix: str = "") -> None:
    """table1{suffix}.csv (full precision) and .md (rounded, the paper's layout)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(TABLE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: row[k] for k in TABLE_COLUMNS} for row in rows])
    atomic_write_text(out / f"table1{suffix}.csv", buffer.getvalue())
    atomic_write_text(out / f"table1{suffix}.md", markdown_table(rows))


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Table 1 as Markdown, numbers to two decimals (n/a where a class has no score)."""
    head = ["Model", "p", "Accuracy", "F1 (weighted)", "Sensitivity", "Specificity",
            "Mean score LGG", "Mean score HGG", "Best epoch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["model"], f"{row['penalty']:g}"] + [_cell(row[k]) for k in TABLE_COLUMNS[2:8]]
        cells.append(str(row["best_epoch"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def comparison_figure(dataset: SliceDataset, out: Path, config: ExperimentConfig, suffix: str = "") -> Path:
    """fig5{suffix}.png: the same slices explained by every model of the experiment."""
    part = dataset.subset(config.split)
    rows = pin_slices(part, config.figure_slices, config.train.seed)
    names, maps = [], []
    for penalty in config.penalties:
        model, run_config, _ = load_run_model(out / run_name(penalty), "best", config.train.device)
        batch = to_batch(part, rows, next(model.parameters()).device)
        maps.append(explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain,
                                  run_config.composite))
        names.append(model_name(penalty))
    titles = [f"{part.case_ids[r]} z{int(part.slice_index[r])}" for r in rows]
    channel = display_channel(part.channels)
    return render_comparison_png(out / f"fig5{suffix}.png", part.images[rows, channel], part.tumor_masks[rows],
                                 part.labels[rows], titles, names, maps)
