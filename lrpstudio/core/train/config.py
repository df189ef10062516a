"""Training configuration: frozen dataclasses, to and from JSON.

A :class:`TrainConfig` holds everything that decides what a run computes (model,
guidance loss, optimiser, augmentation, seed); with the dataset it reproduces the run.
The device is recorded too, but only CPU runs are promised to be bit-reproducible.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from lrpstudio.core.errors import InputError
from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.schedule import LR_SCHEDULES
from lrpstudio.core.xai.guidance import GuidanceConfig

#: Validation metrics that can choose the best epoch, and whether larger is better.
BEST_METRICS: dict[str, bool] = {
    "balanced_accuracy": True, "f1_macro": True, "f1_weighted": True, "accuracy": True,
    "total": False, "ce": False,
}


#: ``class_balance`` values.
CLASS_BALANCE: tuple[str, ...] = ("weights", "none")
#: What runs recorded before these options existed did (see :meth:`TrainConfig.from_dict`).
LEGACY_DEFAULTS: dict[str, Any] = {
    "best_metric": "f1_weighted", "class_balance": "none", "warmup_epochs": 0,
    "warmup_min_accuracy": 0.0,
    "ramp_epochs": 0, "max_grad_norm": 0.0, "lr_schedule": "constant", "patience": 0,
}
LEGACY_GUIDANCE: dict[str, Any] = {"form": "ratio", "seed": "label"}


@dataclass(frozen=True)
class TrainConfig:
    """What a training run does.

    Attributes
    ----------
    model
        Network name for :func:`lrpstudio.core.models.build_model` (e.g. ``"paper"``).
    image_size, in_channels
        Input size and channel count; None = take them from the dataset.
    guidance
        The guidance loss (plain CE, LRPLoss with penalty p, or RRR).
    epochs, batch_size
        Number of epochs and slices per optimiser step.
    lr, weight_decay
        Adam's learning rate and (L2) weight decay.
    augmentation
        Random rotation and flips of the training slices.
    seed
        Seeds the weights, dropout, shuffling, augmentation and the pinned slices.
    device
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    pinned
        How many validation slices are explained after every epoch.
    pinned_slices
        ``(case_id, slice_index)`` pairs (from any split, e.g. pinned in the viewer)
        explained first after every epoch; pairs not in the dataset are skipped.
    heatmap_composite
        Composite of the per-epoch heatmaps and the evaluation scores
        (None = the guidance's composite).
    best_metric
        Validation metric that picks ``best.pt`` (see :data:`BEST_METRICS`): by default
        the validation loss of the run's own objective (``total``); an epoch whose model
        predicts one grade for >= 95 % of the slices is never preferred to one that
        does not (weighted F1 alone would reward such a model on imbalanced data).
    class_balance
        ``"weights"``: each slice's CE is weighted by ``N / (2 n_class)`` of the training
        split, so both grades count alike whatever their slice counts; ``"none"``.
    warmup_epochs
        Epochs of plain CE before the guidance term is switched on (0 = guided from
        the first step).
    warmup_min_accuracy
        The warm start goes on after ``warmup_epochs`` until an epoch's training
        balanced accuracy reaches this value, for at most half the run's epochs (0 = a
        fixed warm start); see :func:`lrpstudio.core.train.schedule.warm_epochs`.
    ramp_epochs
        Epochs over which the guidance weight then rises linearly to its full value.
    max_grad_norm
        Clip the gradient norm of every step to this value (0 = no clipping).
    lr_schedule
        ``"constant"`` or ``"cosine"`` (decay over the run's epochs).
    patience
        Stop early when the best-epoch metric has not improved for this many epochs
        (0 = never).
    eval_batch_size
        Slices per forward pass during validation and evaluation.
    amp
        Run the training forward (and its LRP) under bfloat16 autocast; meant for CUDA.
        The loss is returned in float32 (cross-entropy and sums run in float32 under
        autocast); results are no longer bit-comparable with a float32 run.
    forbidden_weight
        Weight of the artefact penalty, 0 = off: the share of each slice's positive
        relevance inside its case's artefact region (marked in the review) is added to
        its loss (:mod:`lrpstudio.core.xai.forbidden`). It is copied into
        ``guidance.forbidden_weight``, which the training step reads; it applies from the
        first step (it is not part of the warm start).
    """

    model: str = "paper"
    image_size: int | None = None
    in_channels: int | None = None
    guidance: GuidanceConfig = field(default_factory=GuidanceConfig)
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    seed: int = 0
    device: str = "cpu"
    pinned: int = 8
    pinned_slices: tuple[tuple[str, int], ...] = ()
    heatmap_composite: str | None = None
    # The validation objective (CE, or CE + p (1 - S) for the guided loss), measured in
    # docs/experiment-results.md: on validation data that carries a shortcut, balanced
    # accuracy prefers the epochs that still use it (at 128 px it chose the first
    # guided epoch, tumour score 0.31 on clean data; the objective chose epoch 7, 0.88).
    # A collapsed epoch is never chosen over a working one (Session.consider_best).
    best_metric: str = "total"
    eval_batch_size: int = 32
    amp: bool = False
    class_balance: str = "weights"
    # Measured on the demo data (docs/experiment-results.md): guided from the first step,
    # 2 of 3 runs on clean data stalled at a constant output (no relevance, no gradient);
    # two plain-CE epochs first cost nothing on shortcut data and removed that loss.
    warmup_epochs: int = 2
    # A network that has not begun to separate the grades when the guidance starts can be
    # pushed into a constant output it never leaves (one of three seeds on the demo's
    # shortcut set at 64 px: training balanced accuracy 0.56 after its two plain-CE
    # epochs; plain CE itself started to learn only in epoch 4). So the warm start lasts
    # until the training balanced accuracy reaches this value (at most half the run).
    warmup_min_accuracy: float = 0.6
    ramp_epochs: int = 0
    max_grad_norm: float = 1.0
    lr_schedule: str = "constant"
    patience: int = 0
    forbidden_weight: float = 0.0

    def __post_init__(self) -> None:
        _check(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size)
        _check(self.eval_batch_size >= 1, "eval_batch_size", ">= 1", self.eval_batch_size)
        _check(self.lr > 0, "lr", "> 0", self.lr)
        _check(self.weight_decay >= 0, "weight_decay", ">= 0", self.weight_decay)
        _check(self.pinned >= 0, "pinned", ">= 0", self.pinned)
        # JSON gives lists: keep the field a hashable tuple of (str, int) pairs.
        object.__setattr__(self, "pinned_slices", _pairs(self.pinned_slices))
        _check(self.best_metric in BEST_METRICS, "best_metric", sorted(BEST_METRICS), self.best_metric)
        _check(self.class_balance in CLASS_BALANCE, "class_balance", CLASS_BALANCE, self.class_balance)
        _check(self.lr_schedule in LR_SCHEDULES, "lr_schedule", LR_SCHEDULES, self.lr_schedule)
        for name in ("warmup_epochs", "ramp_epochs", "patience"):
            _check(int(getattr(self, name)) >= 0, name, ">= 0", getattr(self, name))
        _check(self.max_grad_norm >= 0, "max_grad_norm", ">= 0", self.max_grad_norm)
        _check(0.0 <= self.warmup_min_accuracy <= 1.0, "warmup_min_accuracy", "in [0, 1]",
               self.warmup_min_accuracy)
        _check(self.device == "cpu" or self.device.startswith("cuda"), "device",
               "cpu, cuda or cuda:N", self.device)
        weight = float(self.forbidden_weight)
        _check(weight >= 0 and math.isfinite(weight), "forbidden_weight", "a finite number >= 0",
               self.forbidden_weight)
        # One source of truth: the step reads the guidance, the record keeps both alike.
        if self.guidance.forbidden_weight != weight:
            object.__setattr__(self, "guidance",
                               dataclasses.replace(self.guidance, forbidden_weight=weight))

    @property
    def composite(self) -> str:
        """The composite used for heatmaps and scores."""
        return self.heatmap_composite or self.guidance.composite

    def model_input(self) -> tuple[int, int]:
        """``(in_channels, image_size)`` of the network; both are known once completed from a dataset.

        Raises
        ------
        InputError
            When either is still None.
        """
        if self.in_channels is None or self.image_size is None:
            raise InputError("the training options do not say the network's input",
                             expected="in_channels and image_size",
                             actual=f"{self.in_channels} x {self.image_size}px")
        return self.in_channels, self.image_size

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (nested configs as dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an :class:`InputError`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InputError("unknown training options", expected=sorted(known), actual=sorted(unknown))
        # A run recorded before an option existed ran without it: fill in what it did,
        # not today's default, so resuming and re-evaluating old runs mean the same.
        values = {**{k: v for k, v in LEGACY_DEFAULTS.items() if k not in data}, **data}
        if isinstance(values.get("guidance"), dict):
            values["guidance"] = _nested(GuidanceConfig, {**LEGACY_GUIDANCE, **values["guidance"]})
        if isinstance(values.get("augmentation"), dict):
            values["augmentation"] = _nested(AugmentConfig, values["augmentation"])
        return cls(**values)


def _nested(kind: type, data: dict[str, Any]) -> Any:
    """Build a nested frozen config; JSON lists become tuples where the field is a tuple."""
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return kind(**values)
    except TypeError as error:
        raise InputError(f"bad {kind.__name__}: {error}") from error


def _pairs(values: Any) -> tuple[tuple[str, int], ...]:
    """``(case_id, slice_index)`` pairs from tuples or JSON lists."""
    try:
        return tuple((str(case), int(z)) for case, z in values)
    except (TypeError, ValueError) as error:
        raise InputError("invalid training option pinned_slices", expected="[(case_id, slice), ...]",
                         actual=values) from error


def _check(ok: bool, name: str, expected: Any, actual: Any) -> None:
    if not ok:
        raise InputError(f"invalid training option {name}", expected=expected, actual=actual)
