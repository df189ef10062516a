"""The training engine: ``fit(config, dataset, callbacks, control, run_dir, resume)``.

The loop is deliberately plain: per epoch, shuffle the training slices with the run's
own generator, augment, step (:mod:`lrpstudio.core.train.step`), then validate, explain
the pinned slices, write metrics and checkpoints. Between batches it honours the
:class:`~lrpstudio.core.train.control.TrainControl` token (pause / resume / cancel).

Reproducibility: weights, dropout (torch's global generator), shuffling and augmentation
(a run-owned CPU generator) all derive from ``config.seed``; both generators' states are
saved with every epoch's checkpoint, so a resumed run continues bit-identically on the CPU.
A cancelled run keeps the checkpoint of its last finished epoch; resuming redoes the
interrupted epoch from its start.

Callbacks receive plain floats and numpy arrays only, so a GUI can forward them as
Qt signals from a worker thread.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import InputError, LrpStudioError, TrainingDivergedError
from lrpstudio.core.review.epochs import record_epoch
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.distributed import (
    SINGLE, DistContext, agree, any_rank, reduce_sums, shard, split_rows, synced_train_step,
)
from lrpstudio.core.train.metrics import NUM_CLASSES, EpochSums, collapse_message
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.schedule import (
    guidance_factor, guidance_for_epoch, lr_for_epoch, warm_epochs,
)
from lrpstudio.core.train.pinned import PinnedSlices
from lrpstudio.core.train.session import Session, new_session, restore_session, save_session_checkpoint
from lrpstudio.core.train.step import (Batch, NonFiniteLossError, StepOutput, augment, compute_loss,
                                      to_batch, train_step)


@dataclass(frozen=True)
class TrainCallbacks:
    """Optional hooks, all called in the training thread with plain data.

    Attributes
    ----------
    on_epoch_start
        ``(epoch, epochs)``; epochs count from 1.
    on_batch
        ``(step, parts)``: global step and a dict with epoch, batch, batches, ce,
        guidance, total (floats).
    on_epoch_end
        ``(epoch, metrics)``: the metrics.csv row (train_* and val_* floats).
    on_heatmaps
        ``(epoch, arrays)``: rows, relevance (N,H,W), scores, predictions, labels, vmax.
    on_checkpoint
        ``(epoch, path)`` after last.pt (and best.pt when improved) is written.
    on_log
        ``(message)``: one human-readable line.
    """

    on_epoch_start: Callable[[int, int], None] | None = None
    on_batch: Callable[[int, dict[str, float]], None] | None = None
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None
    on_heatmaps: Callable[[int, dict[str, np.ndarray]], None] | None = None
    on_checkpoint: Callable[[int, str], None] | None = None
    on_log: Callable[[str], None] | None = None


@dataclass(frozen=True)
class RunResult:
    """How a call to :func:`fit` ended.

    Attributes
    ----------
    run_dir
        The run folder.
    status
        ``"finished"`` or ``"cancelled"``.
    epochs_done
        Last finished epoch (0 when none).
    best_epoch
        Epoch saved as best.pt (0 = the initial weights).
    history
        One metrics row per finished epoch.
    """

    run_dir: Path
    status: str
    epochs_done: int
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)


def fit(
    config: TrainConfig,
    dataset: SliceDataset,
    callbacks: TrainCallbacks | None = None,
    control: TrainControl | None = None,
    run_dir: str | Path = "run",
    resume: bool = False,
    dist: DistContext = SINGLE,
) -> RunResult:
    """Train a model on ``dataset`` and keep everything in ``run_dir``.

    Parameters
    ----------
    config
        The run's settings; with ``resume`` only ``epochs`` (and ``device``) may
        differ from the saved run.
    dataset
        All slices; its ``train`` and ``val`` splits are used.
    callbacks, control
        Progress hooks and the pause/cancel token.
    run_dir
        Run folder; must not hold a run unless ``resume``.
    resume
        Continue from ``checkpoints/last.pt``.
    dist
        The data-parallel job this process belongs to (see
        :mod:`lrpstudio.core.train.distributed`); only rank 0 writes ``run_dir`` and
        calls ``callbacks``. ``config.batch_size`` is the global batch.

    Raises
    ------
    TrainingDivergedError
        The loss or a gradient became NaN/inf; last.pt holds the last finished epoch.
    InputError
        Empty training split, a run folder that already holds a run, or a resume that
        does not match the saved run.
    """
    callbacks = (callbacks or TrainCallbacks()) if dist.is_main else TrainCallbacks()
    control = control or TrainControl()
    folder = RunFolder(run_dir)
    train_set, val_set = _splits(dataset)
    session = _open_session(folder, config, dataset, resume, dist)
    if dist.is_main:
        pinned = PinnedSlices.choose(val_set, session.config, folder, dataset)
    else:
        pinned = PinnedSlices(val_set, np.zeros(0, dtype=np.int64), folder)
    loop = _Loop(session, folder, train_set, val_set, pinned, callbacks, control, dist)
    return loop.run()


def _open_session(folder: RunFolder, config: TrainConfig, dataset: SliceDataset, resume: bool,
                  dist: DistContext) -> Session:
    """Rank 0 creates or reopens the run; the other ranks then load its last.pt.

    Loading rank 0's checkpoint gives every rank the same weights, optimiser state and
    data generator, without any rank but 0 writing to the folder.
    """
    if dist.is_main:
        try:
            session = restore_session(folder, config, dataset) if resume else new_session(folder, config, dataset)
        except BaseException:
            agree(False, dist)
            raise
        agree(True, dist)
        return session
    if not agree(True, dist):
        raise LrpStudioError("rank 0 could not open the run (see its error)", folder.root)
    return restore_session(folder, config, dataset)


def _splits(dataset: SliceDataset) -> tuple[SliceDataset, SliceDataset]:
    train_set = dataset.subset("train")
    if len(train_set) == 0:
        raise InputError("the dataset has no training slices", expected="split 'train' > 0 slices",
                         actual=0)
    val_set = dataset.subset("val")
    # Without a validation split the best epoch is chosen on the training split.
    return train_set, val_set if len(val_set) else train_set


def accumulate(sums: EpochSums, batch: Batch, logits: torch.Tensor, scores: torch.Tensor,
               parts: dict[str, float]) -> None:
    """Add one batch's losses, predictions and scores to ``sums``."""
    labels = batch.labels.cpu().numpy()
    sums.add_losses(len(batch), parts["ce"], parts["guidance"], parts["total"])
    sums.add_predictions(labels, logits.argmax(dim=1).cpu().numpy())
    sums.add_scores(labels, scores.cpu().numpy())
    sums.add_forbidden(batch.forbidden_slices(), parts.get("forbidden"))


def evaluate_sums(model: torch.nn.Module, dataset: SliceDataset, config: TrainConfig,
                  device: torch.device, cancel: Callable[[], bool] | None = None,
                  rows: np.ndarray | None = None) -> EpochSums:
    """Losses, confusion matrix and scores of ``dataset`` in eval mode (no update).

    ``rows`` restricts the evaluation to those rows (a data-parallel rank's share).
    """
    sums = EpochSums()
    rows_all = np.arange(len(dataset)) if rows is None else np.asarray(rows, dtype=np.int64)
    # The loss value does not depend on how S is differentiated: skip the graph through S.
    guidance = dataclasses.replace(config.guidance, score_gradient="detached")
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(rows_all), config.eval_batch_size):
            if cancel is not None and cancel():
                break
            batch = to_batch(dataset, rows_all[start:start + config.eval_batch_size], device)
            out = compute_loss(model, batch, guidance)
            accumulate(sums, batch, out.logits, out.scores, out.parts)
    finally:
        model.train(was_training)
    return sums


class _Loop:
    """The epoch loop of one :func:`fit` call (state shared by its small methods)."""

    def __init__(self, session: Session, folder: RunFolder, train_set: SliceDataset,
                 val_set: SliceDataset, pinned: PinnedSlices, callbacks: TrainCallbacks,
                 control: TrainControl, dist: DistContext = SINGLE) -> None:
        self.s, self.folder = session, folder
        self.train_set, self.val_set, self.pinned = train_set, val_set, pinned
        self.cb, self.control, self.dist = callbacks, control, dist
        self.class_weights = (class_weights(train_set.labels, session.device)
                              if session.config.class_balance == "weights" else None)

    def event(self, event: str, sync: bool = True, **fields: Any) -> None:
        """events.jsonl line, written by rank 0 only."""
        if self.dist.is_main:
            self.folder.log_event(event, sync=sync, **fields)

    def log(self, message: str, event: str = "log", **fields: Any) -> None:
        self.event(event, message=message, **fields)
        if self.cb.on_log:
            self.cb.on_log(message)

    def run(self) -> RunResult:
        s = self.s
        self.log(f"training epochs {s.epoch + 1}..{s.config.epochs} on {s.device}", "start",
                 first_epoch=s.epoch + 1, epochs=s.config.epochs,
                 forbidden={"weight": s.config.forbidden_weight, "train": self.train_set.forbidden_counts(),
                            "val": self.val_set.forbidden_counts()})
        status = "finished"
        while s.epoch < s.config.epochs:
            epoch = s.epoch + 1
            if self.cb.on_epoch_start:
                self.cb.on_epoch_start(epoch, s.config.epochs)
            self.event("epoch_start", epoch=epoch)
            started = time.perf_counter()
            train_sums = self.train_epoch(epoch)
            if train_sums is None:
                status = "cancelled"
                self.log(f"cancelled during epoch {epoch}; checkpoints/last.pt holds epoch "
                         f"{s.epoch}", "cancelled", epoch=epoch, last_epoch=s.epoch)
                break
            self.finish_epoch(epoch, train_sums, time.perf_counter() - started)
            if self.stale_epochs() >= s.config.patience > 0:
                self.log(f"stopping early: no better validation {s.config.best_metric} for "
                         f"{s.config.patience} epochs (best epoch {s.best_epoch})", "early_stop",
                         epoch=epoch, best_epoch=s.best_epoch)
                break
        if status == "finished":
            self.log(f"finished {s.epoch} epochs; best epoch {s.best_epoch}", "end",
                     epochs=s.epoch, best_epoch=s.best_epoch)
        return RunResult(run_dir=self.folder.root, status=status, epochs_done=s.epoch,
                         best_epoch=s.best_epoch, history=list(s.history))

    def stale_epochs(self) -> int:
        """Finished epochs since the best one."""
        return self.s.epoch - self.s.best_epoch

    def _warm_reason(self, epoch: int) -> str:
        """Why ``epoch`` is still plain CE, in words."""
        config = self.s.config
        if epoch <= config.warmup_epochs or config.warmup_min_accuracy <= 0:
            return "plain CE (warm start before the guidance)"
        return (f"plain CE (warm start goes on: training balanced accuracy below "
                f"{config.warmup_min_accuracy:.2f})")

    def train_epoch(self, epoch: int) -> EpochSums | None:
        """One pass over the shuffled training slices; None when cancelled."""
        s, n = self.s, len(self.train_set)
        for group in s.optimizer.param_groups:
            group["lr"] = lr_for_epoch(s.config.lr, epoch, s.config.epochs, s.config.lr_schedule)
        warm = warm_epochs(epoch, [row.get("train_balanced_accuracy", 0.0) for row in s.history],
                           s.config.warmup_epochs, s.config.warmup_min_accuracy, s.config.epochs)
        self.guidance = guidance_for_epoch(s.config.guidance, epoch, warm, s.config.ramp_epochs)
        factor = guidance_factor(epoch, warm, s.config.ramp_epochs)
        if factor < 1.0 and s.config.guidance.kind != "none":
            self.log(f"epoch {epoch}: " + (self._warm_reason(epoch) if factor == 0
                                           else f"guidance at {factor:.0%} of its weight (ramp)"))
        order = torch.randperm(n, generator=s.generator).numpy()
        batches = (n + s.config.batch_size - 1) // s.config.batch_size
        sums = EpochSums()
        s.model.train()
        for b in range(batches):
            if any_rank(self.control.checkpoint(), self.dist):
                return None
            batch = to_batch(self.train_set, order[b * s.config.batch_size:(b + 1) * s.config.batch_size],
                             s.device)
            # Every rank augments the whole global batch, so the generator advances alike
            # on all ranks and as in one process; then each trains on its own share.
            batch = augment(batch, s.config.augmentation, s.generator)  # masks and artefact regions alike
            try:
                out, batch = self.step(batch)
            except NonFiniteLossError as error:
                self.diverged(epoch, b + 1, error)
            accumulate(sums, batch, out.logits, out.scores, out.parts)
            s.step += 1
            parts = {"epoch": float(epoch), "batch": float(b + 1), "batches": float(batches), **out.parts}
            self.event("batch", sync=False, step=s.step, **parts)
            if self.cb.on_batch:
                self.cb.on_batch(s.step, parts)
        return reduce_sums(sums, self.dist)

    def step(self, batch: Batch) -> tuple[StepOutput, Batch]:
        """Train on ``batch`` (the global batch); returns the output and the share trained."""
        s = self.s
        if not self.dist.is_distributed:
            return train_step(s.model, s.optimizer, batch, self.guidance, s.config.amp,
                              self.class_weights, s.config.max_grad_norm), batch
        share = shard(len(batch), self.dist)
        local = batch.rows(share)
        out = synced_train_step(s.model, s.optimizer, local, self.guidance, len(batch), self.dist,
                                s.config.amp, self.class_weights, s.config.max_grad_norm)
        return out, local

    def diverged(self, epoch: int, batch: int, error: NonFiniteLossError) -> None:
        last = self.folder.checkpoint("last")
        message = (f"{error} at epoch {epoch}, batch {batch}; training stopped, the last good "
                   f"checkpoint is {last} (epoch {self.s.epoch}); try a lower learning rate")
        self.log(message, "diverged", epoch=epoch, batch=batch, last_epoch=self.s.epoch)
        raise TrainingDivergedError(message, self.folder.root, expected="a finite loss",
                                    actual=error.value)

    def finish_epoch(self, epoch: int, train_sums: EpochSums, seconds: float) -> None:
        """Validate, explain the pinned slices, choose best, checkpoint, write metrics."""
        s = self.s
        val_sums = evaluate_sums(s.model, self.val_set, s.config, s.device,
                                 rows=split_rows(len(self.val_set), self.dist))
        val_sums = reduce_sums(val_sums, self.dist)
        row: dict[str, float] = {"epoch": float(epoch)}
        row.update({f"train_{k}": v for k, v in train_sums.metrics().items()})
        row.update({f"val_{k}": v for k, v in val_sums.metrics().items()})
        row["seconds"] = float(seconds)
        arrays = self.pinned.explain(s.model, s.device, epoch, s.config.composite)
        if arrays is not None and self.cb.on_heatmaps:
            self.cb.on_heatmaps(epoch, arrays)
        if self.dist.is_main:  # where the validation relevance lies (review --epochs)
            record_epoch(self.folder.root, epoch, s.model, self.val_set, s.config.composite,
                         s.config.eval_batch_size)
        s.epoch = epoch
        s.history.append(row)
        improved = s.consider_best(row)
        if self.dist.is_main:
            self.folder.write_metrics(s.history)
            save_session_checkpoint(s, self.folder, best=improved)
        self.event("epoch_end", epoch=epoch, metrics=row, best=improved)
        if self.cb.on_epoch_end:
            self.cb.on_epoch_end(epoch, dict(row))
        if self.cb.on_checkpoint:
            self.cb.on_checkpoint(epoch, str(self.folder.checkpoint("last")))
        self.log(_summary(row, s.config.best_metric, improved))
        collapse = collapse_message(row["val_predicted_hgg"])
        if collapse:
            self.log(f"epoch {epoch}: warning: the model {collapse}", "collapse", epoch=epoch,
                     predicted_hgg=row["val_predicted_hgg"])


def class_weights(labels: np.ndarray, device: torch.device) -> torch.Tensor:
    """``N / (K n_k)`` per class k of ``labels``, K = the classes present (1 for an absent one).

    With these weights each grade contributes the same share of the CE, whatever its share
    of slices, and the mean weight over the slices is 1 (the loss keeps its scale).
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=NUM_CLASSES).astype(np.float64)
    present = max(int((counts > 0).sum()), 1)
    weights = np.where(counts > 0, counts.sum() / (present * np.maximum(counts, 1)), 1.0)
    return torch.as_tensor(weights, dtype=torch.float32, device=device)


def _summary(row: dict[str, float], best_metric: str, improved: bool) -> str:
    return (f"epoch {int(row['epoch'])}: train loss {row['train_total']:.4f} acc "
            f"{row['train_accuracy']:.3f} | val loss {row['val_total']:.4f} acc "
            f"{row['val_accuracy']:.3f} bal {row['val_balanced_accuracy']:.3f} f1 "
            f"{row['val_f1_weighted']:.3f} score LGG {row['val_score_lgg']:.3f} HGG "
            f"{row['val_score_hgg']:.3f}" + _forbidden_summary(row)
            + (f" (best {best_metric})" if improved else ""))


def _forbidden_summary(row: dict[str, float]) -> str:
    """The mean share of relevance inside the artefact regions, when the run penalises it."""
    shares = [f"{split} {row[f'{split}_forbidden']:.3f}" for split in ("train", "val")
              if f"{split}_forbidden" in row]
    return f" | artefact share {' '.join(shares)}" if shares else ""
