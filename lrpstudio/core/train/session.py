"""The mutable state of one training run, and how it goes to and from checkpoints.

A :class:`Session` owns the model, the optimiser, the run's data generator and the
bookkeeping (epoch, step, history, best epoch). Checkpoints hold only tensors and plain
Python data (RNG states as uint8 tensors), so they load with ``weights_only=True``.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import numpy as np
import torch
import zennit

from lrpstudio import __version__
from lrpstudio.core.data.slice_dataset import SPLITS, SliceDataset
from lrpstudio.core.errors import InputError
from lrpstudio.core.models import build_model
from lrpstudio.core.train.best_epoch import beats
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.data_change import describe_dataset_change
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.checkpoint_record import (
    BestEpoch, TrainingCheckpoint, read_training_checkpoint, restore_state, write_training_checkpoint,
)
from lrpstudio.core.train.run_logs import check_run_folder
from lrpstudio.core.train.run_record import DatasetRecord, RunRecord, frozen_json, plain_json

#: Options that may change when a run is resumed.
RESUMABLE_CHANGES: frozenset[str] = frozenset({"epochs", "device"})


@dataclass
class Session:
    """Everything that changes while a run trains."""

    config: TrainConfig
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    device: torch.device
    epoch: int = 0
    step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float | None = None
    best_loss: float | None = None

    def consider_best(self, row: dict[str, float]) -> bool:
        """Record ``row`` as the best epoch if it beats the current one
        (:func:`lrpstudio.core.train.best_epoch.beats`: the metric, ties to the lower
        validation loss, never a collapsed model over a working one)."""
        best = next((r for r in self.history if int(r["epoch"]) == self.best_epoch), None)
        if not beats(row, best, self.config.best_metric):
            return False
        self.best_epoch = int(row["epoch"])
        self.best_value, self.best_loss = row[f"val_{self.config.best_metric}"], row["val_total"]
        return True


def resolve_device(name: str) -> torch.device:
    """The torch device for ``name``; an unknown name or CUDA without a GPU is an :class:`InputError`."""
    try:
        device = torch.device(name)
    except RuntimeError:  # torch's own message is a long list of every device type it knows
        raise InputError("unknown device", expected="cpu, cuda or cuda:N", actual=name) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("CUDA was requested but no GPU is available", expected="cpu", actual=name)
    return device


def complete_config(config: TrainConfig, dataset: SliceDataset) -> TrainConfig:
    """Fill image size and channels from the dataset; a mismatch is an :class:`InputError`."""
    size, channels = dataset.image_size, len(dataset.channels)
    if config.image_size not in (None, size) or config.in_channels not in (None, channels):
        raise InputError("the dataset does not fit the model's input",
                         expected=f"{config.in_channels} x {config.image_size}px",
                         actual=f"{channels} x {size}px")
    return replace(config, image_size=size, in_channels=channels)


def dataset_fingerprint(dataset: SliceDataset) -> str:
    """SHA-256 of the arrays and split of a dataset (what training actually sees)."""
    digest = hashlib.sha256()
    for array in (dataset.images, dataset.tumor_masks, dataset.brain_masks, dataset.labels,
                  dataset.split.astype(str), dataset.case_ids.astype(str), dataset.slice_index):
        digest.update(str((array.dtype.str, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    if dataset.forbidden.any():  # artefact regions: absent, the hash is that of older versions
        digest.update(b"forbidden")
        digest.update(np.packbits(dataset.forbidden).tobytes())
    return digest.hexdigest()


def manifest_hash(dataset: SliceDataset) -> str:
    """SHA-256 of the dataset manifest's canonical JSON."""
    text = json.dumps(dataset.manifest, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the numbers."""
    return {"lrpstudio": __version__, "python": platform.python_version(),
            "torch": torch.__version__, "numpy": np.__version__,
            "zennit": getattr(zennit, "__version__", "unknown")}


def write_run_config(folder: RunFolder, config: TrainConfig, dataset: SliceDataset) -> None:
    """config.json: the training config, the dataset's identity, package versions."""
    counts = {split: int((dataset.split == split).sum()) for split in SPLITS}
    folder.write_config(RunRecord(
        train=config,
        dataset=DatasetRecord(data_hash=dataset_fingerprint(dataset), manifest_hash=manifest_hash(dataset),
                              slices=frozen_json(counts), channels=tuple(dataset.channels),
                              image_size=dataset.image_size, manifest=frozen_json(dataset.manifest)),
        versions=frozen_json(package_versions()),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        recorded_options=frozenset(config.to_dict()),
    ))


def _data_generator(seed: int) -> torch.Generator:
    # A stream of its own, so shuffling/augmentation do not share draws with dropout.
    derived = int(np.random.SeedSequence([seed, 1]).generate_state(1, dtype=np.uint64)[0] >> 1)
    return torch.Generator().manual_seed(derived)


def _build(config: TrainConfig, device: torch.device) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    in_channels, image_size = config.model_input()
    model = build_model(config.model, image_size=image_size, in_channels=in_channels,
                        num_classes=2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return model, optimizer


def new_session(folder: RunFolder, config: TrainConfig, dataset: SliceDataset) -> Session:
    """Start a fresh run in an empty (or new) folder; writes config.json and epoch 0."""
    if folder.is_run():
        raise InputError("the run folder already holds a run (resume it, or choose another folder)",
                         folder.root)
    config = complete_config(config, dataset)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)  # weights and dropout
    model, optimizer = _build(config, device)
    session = Session(config, model, optimizer, _data_generator(config.seed), device)
    folder.create()
    write_run_config(folder, config, dataset)
    # Epoch 0 = the initial weights: a run that diverges in epoch 1 still leaves a checkpoint.
    save_session_checkpoint(session, folder, best=False)
    return session


def _checkpoint(session: Session) -> TrainingCheckpoint:
    rng: dict[str, torch.Tensor] = {"torch": torch.get_rng_state(), "data": session.generator.get_state()}
    if session.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(session.device)
    return TrainingCheckpoint(
        weights=session.model.state_dict(), config=session.config, epoch=session.epoch,
        step=session.step, optimizer=session.optimizer.state_dict(), rng=rng,
        history=tuple(session.history),
        best=BestEpoch(session.best_epoch, session.best_value, session.best_loss))


def save_session_checkpoint(session: Session, folder: RunFolder, best: bool) -> None:
    """Write last.pt (and best.pt when ``best``) atomically."""
    checkpoint = _checkpoint(session)
    write_training_checkpoint(folder.checkpoint("last"), checkpoint)
    if best:
        write_training_checkpoint(folder.checkpoint("best"), checkpoint)


def restore_session(folder: RunFolder, config: TrainConfig, dataset: SliceDataset) -> Session:
    """Reopen a run from its last.pt, checking that config and data match the saved run."""
    record = check_run_folder(folder.root, for_resume=True)
    saved = record.train
    config = complete_config(config, dataset)
    changed = {k for k, v in config.to_dict().items() if saved.to_dict()[k] != v} - RESUMABLE_CHANGES
    if changed:
        raise InputError("resume must use the run's own settings", folder.config_path,
                         expected="only epochs/device changed", actual=sorted(changed))
    if record.dataset.data_hash != dataset_fingerprint(dataset):
        changes = describe_dataset_change(plain_json(record.dataset.manifest), dataset.manifest)
        raise InputError("resume needs the data the run was trained on, and it has changed "
                         f"({'; '.join(changes) or 'the slices differ'}); start a new run to train "
                         "on the data as it is now", folder.config_path,
                         expected=(record.dataset.data_hash or "")[:12],
                         actual=dataset_fingerprint(dataset)[:12])
    checkpoint = read_training_checkpoint(folder.checkpoint("last"))
    device = resolve_device(config.device)
    model, optimizer = _build(config, device)
    generator = torch.Generator()
    restore_state(checkpoint, model, optimizer, generator, device, folder.checkpoint("last"))
    # Only once the checkpoint is known to fit: a refused resume changes nothing on disk.
    if config != saved:  # more epochs or another device: config.json says what ran
        folder.write_config(record.with_train(config))
    best = checkpoint.best
    return Session(config, model, optimizer, generator, device, epoch=checkpoint.epoch,
                   step=checkpoint.step, history=list(checkpoint.history),
                   best_epoch=best.epoch, best_value=best.value, best_loss=best.loss)
