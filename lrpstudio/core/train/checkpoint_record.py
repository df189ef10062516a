"""A run's checkpoints, typed: written, read and checked here.

``checkpoints/last.pt`` and ``best.pt`` hold a :class:`TrainingCheckpoint`: the model
weights, the training options, the optimizer and random states, the epoch and step, the
metric history and the best epoch so far. It is stored as a plain dict (``format``,
``version``, ``model``, ``config``, ...) so that it loads with ``weights_only=True``:
code in the file is never run. One from a newer lrpstudio is refused by name rather than
half-read; weights and optimizer state must be finite, and the weights must fit the
model by name and shape before anything is loaded. Evaluating needs only a
:class:`ModelCheckpoint` (weights, options, epoch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch

from lrpstudio.core.models.checkpoints import load_checkpoint, save_checkpoint
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.record_checks import FieldChecks, fail, is_int, is_number
from lrpstudio.core.train.run_record import train_config

CHECKPOINT_FORMAT = "lrpstudio-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class BestEpoch:
    """The best epoch so far: its number, its value of the best-epoch metric and its loss."""

    epoch: int = 0
    value: float | None = None
    loss: float | None = None


@dataclass(frozen=True, eq=False)
class ModelCheckpoint:
    """What evaluating a checkpoint needs: the weights, the training options and the epoch.

    Attributes
    ----------
    weights
        The model's state dict (finite tensors).
    config
        The training options the model was built with.
    epoch
        The epoch it was saved after (None when the file does not say).
    """

    weights: Mapping[str, torch.Tensor]
    config: TrainConfig
    epoch: int | None = None


@dataclass(frozen=True, eq=False)
class TrainingCheckpoint:
    """Everything a run needs to continue: weights, options and the training state.

    Attributes
    ----------
    weights, config
        As in :class:`ModelCheckpoint`.
    epoch, step
        Finished epochs (0 = the initial weights) and optimizer steps.
    optimizer
        The optimizer's state dict.
    rng
        Random states: ``torch`` (CPU), ``data`` (the data generator), ``cuda`` when used.
    history
        One metric row per finished epoch.
    best
        The best epoch so far.
    """

    weights: Mapping[str, torch.Tensor]
    config: TrainConfig
    epoch: int
    step: int
    optimizer: Mapping[str, Any]
    rng: Mapping[str, torch.Tensor]
    history: tuple[dict[str, float], ...]
    best: BestEpoch

    def to_payload(self) -> dict[str, Any]:
        """The stored dict (plain data only: it loads with ``weights_only=True``)."""
        return {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "epoch": self.epoch, "step": self.step,
            "model": dict(self.weights), "optimizer": dict(self.optimizer), "rng": dict(self.rng),
            "config": self.config.to_dict(),
            "metrics": self.history[-1] if self.history else {},
            "history": list(self.history),
            "best": {"epoch": self.best.epoch, "value": self.best.value, "loss": self.best.loss},
        }


def write_training_checkpoint(path: str | Path, checkpoint: TrainingCheckpoint) -> Path:
    """Write ``checkpoint`` to ``path`` atomically (a crash leaves the previous file intact)."""
    return save_checkpoint(path, checkpoint.to_payload())


def _nonfinite(tensors: dict[str, Any]) -> list[str]:
    """Names of the floating tensors that hold NaN or inf."""
    return [name for name, value in tensors.items() if isinstance(value, torch.Tensor)
            and value.is_floating_point() and not bool(torch.isfinite(value).all())]


def _check_weights(state: Any, path: Path) -> None:
    if not isinstance(state, dict) or not state:
        raise fail("checkpoint holds no model weights", path, expected="model: a dict of tensors",
                    actual=type(state).__name__ if state is not None else "missing")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise fail("checkpoint's model weights are not all named tensors", path)
    bad = _nonfinite(state)
    if bad:
        raise fail("checkpoint holds non-finite weights", path, expected="finite values",
                    actual=f"NaN or inf in {', '.join(bad[:3])}" + (f" and {len(bad) - 3} more" if len(bad) > 3 else ""))


def read_model_checkpoint(path: str | Path) -> ModelCheckpoint:
    """A checkpoint fit for evaluating: finite model weights and its training options.

    Loads with ``weights_only=True`` (code in the file is never run).

    Raises
    ------
    CheckpointError
        Missing, unloadable, without weights or options, or with NaN/inf weights.
    """
    path = Path(path)
    return _model_checkpoint(load_checkpoint(path), path)


def _model_checkpoint(payload: dict[str, Any], path: Path) -> ModelCheckpoint:
    _check_weights(payload.get("model"), path)
    config = train_config(payload.get("config"), path)
    epoch = payload.get("epoch")
    if "epoch" in payload and not is_int(epoch):
        raise fail("epoch has the wrong type", path, expected="an integer", actual=type(epoch).__name__)
    return ModelCheckpoint(payload["model"], config, epoch)


#: Training-state keys of a checkpoint -> (check, what it must be).
_STATE_FIELDS: FieldChecks = {
    "epoch": (is_int, "an integer"),
    "step": (is_int, "an integer"),
    "optimizer": (lambda v: isinstance(v, dict) and isinstance(v.get("state"), dict)
                  and isinstance(v.get("param_groups"), list), "an optimizer state"),
    "rng": (lambda v: isinstance(v, dict) and {"torch", "data"} <= set(v), "torch and data states"),
    "history": (lambda v: isinstance(v, list) and all(isinstance(r, dict) for r in v),
                "a list of metric rows"),
    "best": (lambda v: isinstance(v, dict) and is_int(v.get("epoch"))
             and all(v.get(k) is None or is_number(v.get(k)) for k in ("value", "loss")),
             "epoch, value and loss"),
}


def read_training_checkpoint(path: str | Path) -> TrainingCheckpoint:
    """A checkpoint fit for resuming: :func:`read_model_checkpoint` plus the training state.

    Raises
    ------
    CheckpointError
        Not an lrpstudio training checkpoint, of a newer version, a state key missing or
        of the wrong type, or non-finite weights or optimizer state.
    """
    path = Path(path)
    payload = load_checkpoint(path)
    model = _model_checkpoint(payload, path)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise fail("not an lrpstudio training checkpoint", path, expected=CHECKPOINT_FORMAT,
                    actual=payload.get("format"))
    version = payload.get("version")
    if not is_int(version) or version > CHECKPOINT_VERSION:
        raise fail("checkpoint of an unknown version (made by a newer lrpstudio?)", path,
                    expected=f"<= {CHECKPOINT_VERSION}", actual=version)
    for key, (ok, what) in _STATE_FIELDS.items():
        if not ok(payload.get(key)):
            raise fail(f"checkpoint's {key} is missing or of the wrong type", path, expected=what,
                        actual=type(payload.get(key)).__name__)
    for slot in payload["optimizer"]["state"].values():
        if isinstance(slot, dict) and _nonfinite(slot):
            raise fail("checkpoint holds non-finite optimizer state", path, expected="finite values")
    best = payload["best"]
    return TrainingCheckpoint(
        weights=model.weights, config=model.config, epoch=payload["epoch"], step=payload["step"],
        optimizer=payload["optimizer"], rng=payload["rng"], history=tuple(payload["history"]),
        best=BestEpoch(best["epoch"], best.get("value"), best.get("loss")))


def load_weights(model: torch.nn.Module, state: Mapping[str, Any], path: str | Path) -> None:
    """Load ``state`` into ``model``; names and shapes are compared first (one-line errors)."""
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise fail("checkpoint weights do not fit the model", Path(path),
                    expected=f"the {len(expected)} tensors of {type(model).__name__}",
                    actual=f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    for name, tensor in expected.items():
        if tuple(tensor.shape) != tuple(state[name].shape):
            raise fail(f"checkpoint weight {name} has the wrong shape", Path(path),
                        expected=tuple(tensor.shape), actual=tuple(state[name].shape))
    model.load_state_dict(state)


def restore_state(checkpoint: TrainingCheckpoint, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                  generator: torch.Generator, device: torch.device, path: str | Path) -> None:
    """Put a training checkpoint's weights, optimizer and random states back in place."""
    load_weights(model, checkpoint.weights, path)
    try:
        optimizer.load_state_dict(dict(checkpoint.optimizer))
        generator.set_state(checkpoint.rng["data"])
        torch.set_rng_state(checkpoint.rng["torch"])
        if device.type == "cuda" and "cuda" in checkpoint.rng:
            torch.cuda.set_rng_state(checkpoint.rng["cuda"], device)
    except (ValueError, RuntimeError, KeyError, TypeError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise fail(f"the checkpoint's training state does not fit the model ({first})",
                    Path(path)) from error
