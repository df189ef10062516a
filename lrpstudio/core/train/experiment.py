"""The paper's comparison over seeds and folds: Table 1 as mean ± sd, Fig. 5, paired tests.

``run_experiment`` trains one run per penalty p (p = 0 is plain cross-entropy) for
every seed and, with ``folds``, every fold of a patient-level cross-validation (runs
and folders: :mod:`lrpstudio.core.train.experiment_runs`). It evaluates each best
model on its own fold's test split and writes

- ``runs.csv``: every run's metrics,
- ``table1.csv`` / ``.md`` / ``.json``: per penalty, mean ± sd over all runs of
  accuracy, balanced accuracy, weighted and macro F1, sensitivity, specificity and
  the mean TumorLRPScore per class, with the number of runs and of collapsed runs
  (one class for >= 95 % of the slices); ``.md`` and ``.json`` add the paired
  comparison of each p > 0 with p = 0 over matched (seed, fold) runs, for balanced
  accuracy and the mean score ((LGG + HGG) / 2): mean difference, bootstrap 95 % CI,
  Wilcoxon p (:mod:`lrpstudio.core.train.experiment_stats`), also in
  ``comparison.csv``,
- ``fig5.png``: the same test slices explained by each penalty's model of the first
  seed and fold,

and the same with an ``_external`` suffix for a second dataset. A finished run is
reused and an unfinished one resumed, so an interrupted experiment continues where
it stopped. Under torchrun rank 0 waits for all runs, then writes the outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import DatasetError
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.distributed import SINGLE, DistContext, any_rank
from lrpstudio.core.train.engine import TrainCallbacks
from lrpstudio.core.train.step import to_batch
from lrpstudio.core.train.evaluate import check_compatible, evaluate_run, load_run_model
from lrpstudio.core.train.experiment_runs import (
    ExperimentConfig, RunKey, fold_datasets, model_name, penalty_config, plan_runs, run_dir, run_name,
    split_sizes, train_share,
)
from lrpstudio.core.train.experiment_stats import (
    BOOTSTRAP_RESAMPLES, CONFIDENCE, mean_sd, paired_comparison,
)
from lrpstudio.core.train.experiment_tables import ExperimentReport, write_report
from lrpstudio.core.train.heatmaps import Heatmaps, explain_batch, pin_slices
from lrpstudio.core.render.colours import display_channel
from lrpstudio.core.render.figures import render_comparison_png

__all__ = ["ExperimentConfig", "RunKey", "METRICS", "explain_runs", "model_name",
           "penalty_config", "run_experiment", "run_name"]

#: Metrics of Table 1 (mean ± sd per penalty), as ``evaluate_model`` names them.
METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy", "f1_weighted", "f1_macro", "sensitivity",
                            "specificity", "score_lgg", "score_hgg")
#: Metrics compared with p = 0 over matched runs.
COMPARED: tuple[str, ...] = ("balanced_accuracy", "mean_score")


def run_experiment(dataset: SliceDataset, out: str | Path, config: ExperimentConfig,
                   callbacks: Callable[[RunKey], TrainCallbacks] | None = None,
                   control: TrainControl | None = None,
                   test_data: SliceDataset | None = None,
                   dist: DistContext = SINGLE) -> ExperimentReport | None:
    """Train every run of the experiment and write its tables and Fig. 5 into ``out``.

    Parameters
    ----------
    dataset
        Slices with train/val/test splits (with folds: split anew per fold).
    out
        Experiment folder.
    config
        Base settings, penalties, seeds and folds.
    callbacks
        ``RunKey -> TrainCallbacks`` for each run (progress bars, GUI signals).
    control
        One token for the whole experiment; cancelling stops after the current batch.
    test_data
        Optional second dataset (e.g. the same kind of data without a confounder):
        ``table1_external.*``, ``runs_external.csv``, ``fig5_external.png``. With
        folds its patients that ``dataset`` holds follow ``dataset``'s folds.
    dist
        The torchrun job: each rank trains the runs ``plan_runs(config)[rank::world_size]``.

    Returns
    -------
    ExperimentReport or None
        The report on ``dataset``; None when cancelled, and on ranks other than 0.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    datasets = fold_datasets(dataset, config)
    external = fold_datasets(test_data, config, reference=dataset) if test_data is not None else None
    for folds in (datasets, external):
        empty = [k for k, n in split_sizes(folds or {}, config.split).items() if n == 0]
        if empty:
            where = "" if empty[0] is None else f" of fold {empty[0]}"
            raise DatasetError(f"the {config.split!r} split{where} is empty: nothing to compare on",
                               expected="> 0 slices", actual=0)
    cancelled = train_share(datasets, out, config, callbacks, control, dist)
    if any_rank(cancelled, dist) or not dist.is_main:
        return None
    report = compare(datasets, out, config, "")
    if external is not None:
        compare(external, out, config, "_external")
    return report


def compare(datasets: dict[int | None, SliceDataset], out: Path, config: ExperimentConfig,
            suffix: str) -> ExperimentReport:
    """Evaluate every run on its fold of ``datasets``; write the tables and Fig. 5 (``suffix``)."""
    runs = evaluate_runs(datasets, out, config)
    report = ExperimentReport(table=summarise(runs, config), comparison=compare_with_control(runs, config),
                              runs=runs, settings=_settings(config))
    write_report(report, out, suffix)
    first = config.fold_list[0]
    keys = [RunKey(float(p), config.train.seed, first) for p in config.penalties]
    comparison_figure(datasets[first], out, config, keys, suffix)
    return report


def evaluate_runs(datasets: dict[int | None, SliceDataset], out: Path,
                  config: ExperimentConfig) -> list[dict[str, Any]]:
    """One row per run: its metrics on ``config.split`` of its fold."""
    rows = []
    for key in plan_runs(config):
        folder = run_dir(out, config, key)
        metrics = evaluate_run(folder, datasets[key.fold], config.split, device=config.train.device)
        rows.append({"model": model_name(key.penalty), "penalty": key.penalty, "seed": key.seed,
                     "fold": key.fold, **{m: metrics[m] for m in METRICS},
                     "mean_score": (metrics["score_lgg"] + metrics["score_hgg"]) / 2.0,
                     "best_epoch": int(metrics["epoch"]), "collapse": metrics["collapse"],
                     "run": folder.relative_to(out).as_posix()})
    return rows


def summarise(runs: list[dict[str, Any]], config: ExperimentConfig) -> list[dict[str, Any]]:
    """Table 1: per penalty, mean ± sd of each metric over its runs, runs, collapsed runs."""
    table = []
    for penalty in config.penalties:
        mine = [r for r in runs if r["penalty"] == float(penalty)]
        row: dict[str, Any] = {"model": model_name(penalty), "penalty": float(penalty), "runs": len(mine),
                               "collapsed": sum(r["collapse"] is not None for r in mine)}
        for metric in METRICS:
            row[f"{metric}_mean"], row[f"{metric}_sd"] = mean_sd([r[metric] for r in mine])
        table.append(row)
    return table


def compare_with_control(runs: list[dict[str, Any]], config: ExperimentConfig) -> list[dict[str, Any]]:
    """Each penalty p > 0 against p = 0 over the runs that share seed and fold.

    Empty when p = 0 is not among the penalties (there is nothing to pair with).
    """
    control = {(r["seed"], r["fold"]): r for r in runs if r["penalty"] == 0}
    if not control:
        return []
    rows = []
    for penalty in (float(p) for p in config.penalties if p != 0):
        pairs = [(r, control[(r["seed"], r["fold"])]) for r in runs
                 if r["penalty"] == penalty and (r["seed"], r["fold"]) in control]
        row: dict[str, Any] = {"model": model_name(penalty), "penalty": penalty, "pairs": len(pairs)}
        for metric in COMPARED:
            result = paired_comparison([t[metric] for t, _ in pairs], [c[metric] for _, c in pairs])
            row[metric] = result.as_dict()
        rows.append(row)
    return rows


def _settings(config: ExperimentConfig) -> dict[str, Any]:
    return {"split": config.split, "seeds": list(config.seed_list), "folds": config.folds,
            "bootstrap_resamples": BOOTSTRAP_RESAMPLES, "confidence": CONFIDENCE}


def explain_runs(part: SliceDataset, rows: np.ndarray, runs: list[Path], device: str = "cpu",
                 ) -> list[tuple[Heatmaps, torch.nn.Module]]:
    """The same slices (``rows`` of ``part``) explained by each run's best model (Fig. 5).

    Each run's own composite is used; a run whose model does not fit ``part`` (channels,
    image size) is refused by name. Returns each run's heatmaps and its loaded model.
    """
    explained = []
    for run in runs:
        model, run_config, _ = load_run_model(run, "best", device)
        check_compatible(run_config, part, run)
        batch = to_batch(part, rows, next(model.parameters()).device)
        explained.append((explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain,
                                        run_config.composite), model))
    return explained


def comparison_figure(dataset: SliceDataset, out: Path, config: ExperimentConfig, keys: list[RunKey],
                      suffix: str = "") -> Path:
    """fig5{suffix}.png: the same slices explained by the model of each run in ``keys``."""
    part = dataset.subset(config.split)
    rows = pin_slices(part, config.figure_slices, config.train.seed)
    maps = [h for h, _model in explain_runs(part, rows, [run_dir(out, config, k) for k in keys],
                                             config.train.device)]
    names = [model_name(key.penalty) for key in keys]
    titles = [f"{part.case_ids[r]} z{int(part.slice_index[r])}" for r in rows]
    channel = display_channel(part.channels)
    return render_comparison_png(out / f"fig5{suffix}.png", part.images[rows, channel], part.tumor_masks[rows],
                                 part.labels[rows], titles, names, maps)

