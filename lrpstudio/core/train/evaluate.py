"""Evaluate a trained run on any slice dataset: metrics and mean TumorLRPScore per class.

The dataset may come from elsewhere (another BraTS release, another site): only its
channels and image size must match what the run was trained on. A result is recorded
in the run folder as ``evaluation_<split>.json`` (:func:`write_evaluation`, the one
writer of the CLI's ``evaluate`` and the app's "Evaluate on test"), with the data it was
measured on, so it is shown again after a relaunch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.errors import CheckpointError, DatasetError, InputError
from lrpstudio.core.models import build_model
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.heatmaps import explain_batch
from lrpstudio.core.train.metrics import EpochSums, collapse_message
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.checkpoint_record import ModelCheckpoint, load_weights, read_model_checkpoint
from lrpstudio.core.train.run_logs import check_run_folder
from lrpstudio.core.train.session import resolve_device
from lrpstudio.core.train.step import to_batch

#: ``(done, total, message)``, the core's progress callback.
Progress = Callable[[int, int, str], None]


def load_run_model(run_dir: str | Path, which: str = "best", device: str = "cpu",
                   ) -> tuple[torch.nn.Module, TrainConfig, ModelCheckpoint]:
    """The model of a run's checkpoint, in eval mode, with its config and checkpoint.

    Parameters
    ----------
    run_dir
        A run folder made by :func:`lrpstudio.core.train.engine.fit`.
    which
        ``"best"`` or ``"last"``.
    device
        Where to put the model.
    """
    folder = RunFolder(run_dir)
    check_run_folder(folder.root)  # not a run, or a damaged record: one line naming the file
    path = folder.checkpoint(which)
    if which == "best" and not path.is_file():
        raise CheckpointError("the run has no best checkpoint yet (no finished epoch)", path)
    checkpoint = read_model_checkpoint(path)  # weights present, finite; options valid
    config = checkpoint.config
    in_channels, image_size = config.model_input()
    model = build_model(config.model, image_size=image_size, in_channels=in_channels, num_classes=2)
    load_weights(model, checkpoint.weights, path)
    model.to(resolve_device(device)).eval()
    return model, config, checkpoint


def check_compatible(config: TrainConfig, dataset: SliceDataset, source: str | Path | None) -> None:
    """The dataset must have the channels and size the model was trained on."""
    if dataset.image_size != config.image_size or len(dataset.channels) != config.in_channels:
        raise DatasetError("the data does not fit the model",
                           source, expected=f"{config.in_channels} channels x {config.image_size}px",
                           actual=f"{len(dataset.channels)} channels x {dataset.image_size}px")


def evaluate_model(model: torch.nn.Module, dataset: SliceDataset, composite: str,
                   batch_size: int = 32, progress: Progress | None = None) -> dict[str, Any]:
    """Metrics of ``model`` on all slices of ``dataset`` (eval mode, true-label LRP).

    Returns
    -------
    dict
        accuracy, balanced_accuracy, f1_weighted, f1_macro, sensitivity, specificity
        (HGG positive), score_lgg, score_hgg (mean TumorLRPScore per true class), ce,
        predicted_hgg (share predicted HGG), collapse (None, or words such as "predicts
        LGG for every slice" when >= 95 % get one class), slices, cases,
        confusion_matrix (rows true LGG/HGG, columns predicted), roc (:func:`roc_summary`
        of each slice's P(HGG)).
    """
    device = next(model.parameters()).device
    sums = EpochSums()
    n = len(dataset)
    p_hgg = np.zeros(n)
    for start in range(0, n, batch_size):
        rows = np.arange(start, min(start + batch_size, n))
        batch = to_batch(dataset, rows, device)
        maps = explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain, composite)
        labels = dataset.labels[rows]
        p_hgg[rows] = maps.probabilities
        p_true = np.where(labels == 1, maps.probabilities, 1.0 - maps.probabilities)
        ce = float(-np.log(np.clip(p_true, 1e-12, 1.0)).mean())
        sums.add_losses(len(rows), ce, 0.0, ce)
        sums.add_predictions(labels, maps.predictions)
        sums.add_scores(labels, maps.scores)
        if progress is not None:
            progress(int(rows[-1]) + 1, n, "evaluating")
    metrics = sums.metrics()
    result: dict[str, Any] = {k: metrics[k] for k in (
        "accuracy", "balanced_accuracy", "f1_weighted", "f1_macro", "sensitivity", "specificity",
        "score_lgg", "score_hgg", "ce", "predicted_hgg")}
    result["collapse"] = collapse_message(metrics["predicted_hgg"], "slices")
    result["slices"] = n
    result["cases"] = int(np.unique(dataset.case_ids).size)
    result["confusion_matrix"] = sums.confusion.astype(int).tolist()
    result["roc"] = roc_summary(np.asarray(dataset.labels), p_hgg)
    return result


def roc_summary(labels: np.ndarray, p_hgg: np.ndarray) -> dict[str, Any]:
    """The ROC curve of P(HGG) against the true grades (HGG positive) and its area.

    Returns
    -------
    dict
        fpr, tpr, thresholds (lists; the thresholds' first, infinite, one written as 2.0
        so the record stays JSON) and auc (None when the slices hold one grade only).
    """
    # In numpy, not scikit-learn: the desktop bundle leaves scikit-learn out (it is a
    # test-time dependency), and these are a sort and two cumulative sums.
    labels = np.asarray(labels).astype(int)
    scores = np.asarray(p_hgg, dtype=np.float64)
    positives, negatives = int(labels.sum()), int((labels == 0).sum())
    if positives == 0 or negatives == 0:
        return {"fpr": [], "tpr": [], "thresholds": [], "auc": None}
    order = np.argsort(-scores, kind="mergesort")
    ranked, hits = scores[order], labels[order]
    # One point per distinct threshold: the last slice of each run of tied scores.
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    tps = np.cumsum(hits)[last]
    fps = last + 1 - tps
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / negatives]
    thresholds = np.r_[2.0, ranked[last]]  # 2.0 stands for "above every probability"
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))  # trapezoids: ties count half
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist(), "auc": auc}


def evaluate_run(run_dir: str | Path, dataset: SliceDataset, split: str = "test",
                 which: str = "best", device: str = "cpu", source: str | Path | None = None,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Evaluate a run's checkpoint on one split (or ``"all"``) of ``dataset``.

    Raises
    ------
    DatasetError
        The data does not fit the model, or the split is empty.
    CheckpointError
        The run or its checkpoint cannot be loaded.
    """
    model, config, checkpoint = load_run_model(run_dir, which, device)
    check_compatible(config, dataset, source)
    part = dataset.subset(split)
    if len(part) == 0:
        raise DatasetError(f"the {split!r} split is empty", source, expected="> 0 slices", actual=0)
    result = evaluate_model(model, part, config.composite, config.eval_batch_size, progress)
    result.update({"split": split, "checkpoint": which, "epoch": checkpoint.epoch or 0,
                   "composite": config.composite})
    return result


def evaluation_file(run_dir: str | Path, split: str) -> Path:
    """Where a run's evaluation on ``split`` is recorded."""
    return Path(run_dir) / f"evaluation_{split}.json"


def write_evaluation(run_dir: str | Path, result: dict[str, Any], data: str | Path) -> Path:
    """Record an :func:`evaluate_run` result in the run folder, atomically.

    ``data`` names what it was measured on (a data folder or a prepared dataset); NaN
    numbers are written as ``null``. An earlier result on the same split is replaced.
    """
    record = {"format": 1, "data": str(data),
              **{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in result.items()}}
    return atomic_write_text(evaluation_file(run_dir, str(result["split"])), json.dumps(record, indent=2))


def read_evaluation(run_dir: str | Path, split: str = "test") -> dict[str, Any] | None:
    """A recorded evaluation (``null`` numbers back as NaN), or None when there is none.

    Raises
    ------
    InputError
        The record is damaged (not JSON, or not a result).
    """
    path = evaluation_file(run_dir, split)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError("damaged evaluation record", path, expected="JSON", actual=str(error)) from error
    if not isinstance(record, dict) or record.get("split") != split or "data" not in record:
        raise InputError("damaged evaluation record", path, expected=f"a result on {split!r}",
                         actual=type(record).__name__)
    return {k: math.nan if v is None and k != "collapse" else v for k, v in record.items()}
