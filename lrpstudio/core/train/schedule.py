"""What changes from epoch to epoch: the guidance weight (warm start, ramp) and the learning rate.

Both are pure functions of the epoch number and the recorded history (the training
balanced accuracy of the epochs done), so a resumed run continues on the same schedule
without storing anything extra.

Why a warm start or a ramp: the explanation of a freshly initialised network is noise
(its TumorLRPScore is about the tumour's share of the brain), so guiding it from the
first step mostly teaches "raise S" before there are features worth placing; a few
plain-CE epochs, or a penalty that grows in over a few epochs, let the classifier find
features first and the guidance then decide which of them it keeps.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from lrpstudio.core.xai.guidance import GuidanceConfig

#: Learning-rate schedules: constant, or cosine decay to 0 over the run's epochs.
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine")


def guidance_factor(epoch: int, warmup_epochs: int, ramp_epochs: int) -> float:
    """Share of the full guidance weight used in ``epoch`` (epochs count from 1).

    0 during the first ``warmup_epochs`` (plain CE), then rising linearly over
    ``ramp_epochs`` epochs (``1/ramp``, ``2/ramp``, ... 1), then 1.
    """
    if epoch <= warmup_epochs:
        return 0.0
    if ramp_epochs <= 0:
        return 1.0
    return min(1.0, (epoch - warmup_epochs) / ramp_epochs)


def warm_epochs(epoch: int, train_accuracy: Sequence[float], warmup_epochs: int,
                min_accuracy: float, epochs: int) -> int:
    """How many plain-CE epochs precede the guidance, as known when ``epoch`` starts.

    At least ``warmup_epochs``; after that, the warm start goes on until an epoch's
    training balanced accuracy reaches ``min_accuracy`` (the classifier has begun to
    separate the grades), and ends at the latest after half the run
    (``max(warmup_epochs, epochs // 2)``). ``warmup_epochs == 0`` (guided from the
    start) and ``min_accuracy == 0`` (a fixed warm start) return ``warmup_epochs``.

    Parameters
    ----------
    epoch
        The epoch about to start (from 1).
    train_accuracy
        Training balanced accuracy of the epochs done, epoch 1 first.
    warmup_epochs, min_accuracy, epochs
        From the run's :class:`~lrpstudio.core.train.config.TrainConfig`.

    Returns
    -------
    int
        The warm epoch count to give :func:`guidance_factor`; while the warm start is
        still open it is ``epoch`` itself (plain CE in this epoch).
    """
    if warmup_epochs <= 0 or min_accuracy <= 0:
        return warmup_epochs
    limit = max(warmup_epochs, epochs // 2)
    for done in range(warmup_epochs, limit):
        if done >= epoch:  # this epoch's decision waits for the epoch before it
            return epoch
        if train_accuracy[done - 1] >= min_accuracy:
            return done
    return limit


def guidance_for_epoch(guidance: GuidanceConfig, epoch: int, warmup_epochs: int,
                       ramp_epochs: int) -> GuidanceConfig:
    """The guidance of ``epoch``: LRPLoss penalty (or RRR weight) scaled by :func:`guidance_factor`.

    A scaled penalty of 0 is exactly plain CE (the score is still monitored).
    """
    factor = guidance_factor(epoch, warmup_epochs, ramp_epochs)
    if factor == 1.0 or guidance.kind == "none":
        return guidance
    if guidance.kind == "rrr":
        return dataclasses.replace(guidance, rrr_weight=guidance.rrr_weight * factor)
    return dataclasses.replace(guidance, penalty=guidance.penalty * factor)


def lr_for_epoch(lr: float, epoch: int, epochs: int, schedule: str = "constant") -> float:
    """Learning rate of ``epoch`` (from 1): constant, or cosine from ``lr`` towards 0.

    The cosine schedule gives ``lr`` in epoch 1 and ``lr * (1 + cos(pi * (E-1)/E)) / 2``
    in the last epoch E, never exactly 0.
    """
    if schedule == "constant" or epochs <= 1:
        return lr
    return lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))
