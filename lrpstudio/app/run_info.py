"""What a run folder records, read for the front ends: settings, data, pins, saved pictures.

The one app module that reads a run's files: its typed record (``config.json``, a
:class:`~lrpstudio.core.train.run_record.RunRecord`), ``heatmaps/pinned.json``,
``metrics.csv``, ``events.jsonl`` and the saved heatmaps; the rest of the app layer and
both front ends ask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.explain import run_colour_scale
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_record import RunRecord

__all__ = ["RunDataSettings", "RunRecord", "has_best_model", "has_last_checkpoint", "image_size", "pinned_slices",
           "read_events", "read_metrics", "read_record", "recorded_preparation", "run_colour_scale",
           "run_data_settings", "saved_heatmap_files", "saved_heatmaps", "train_config"]

_EPOCH_FILE = re.compile(r"epoch_(\d+)\.npz$")
#: Channels a run recorded before datasets carried their channel list.
DEFAULT_CHANNELS: tuple[str, ...] = ("t1", "t2", "flair")


@dataclass(frozen=True)
class RunDataSettings:
    """How a run's slices were made, to prepare another slice the same way.

    Attributes
    ----------
    channels
        Modalities in channel order.
    image_size
        Side of the slices in pixels.
    region
        The guidance region stored as the tumour mask (``whole``, ...).
    vmax
        The run's fixed colour scale of its heatmaps (None when it saved none).
    """

    channels: tuple[str, ...]
    image_size: int
    region: str
    vmax: float | None


def read_record(run_dir: str | Path) -> RunRecord:
    """The run's ``config.json``, read and checked by the core."""
    return RunFolder(run_dir).read_config()


def read_metrics(run_dir: str | Path) -> list[dict[str, float]]:
    """The run's ``metrics.csv`` rows, one per finished epoch."""
    return RunFolder(run_dir).read_metrics()


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """The run's ``events.jsonl`` (batch, epoch, start and end events)."""
    return RunFolder(run_dir).read_events()


def is_run(path: str | Path) -> bool:
    """True when ``path`` is a run folder (it holds a config.json)."""
    return RunFolder(path).is_run()


def has_best_model(run_dir: str | Path) -> bool:
    """True when the run saved a best checkpoint (it can explain and answer queries)."""
    return RunFolder(run_dir).checkpoint("best").is_file()


def has_last_checkpoint(run_dir: str | Path) -> bool:
    """True when the run saved a last checkpoint (it can be resumed)."""
    return RunFolder(run_dir).checkpoint("last").is_file()


def saved_heatmap_files(run_dir: str | Path) -> list[Path]:
    """The run's saved Fig. 7 heatmaps (``heatmaps/epoch_XXX.npz``), in epoch order."""
    return sorted(RunFolder(run_dir).heatmap_dir.glob("epoch_*.npz"))


def saved_heatmaps(run_dir: str | Path) -> dict[int, dict[str, np.ndarray]]:
    """The run's saved Fig. 7 heatmap arrays by epoch (``heatmaps/epoch_XXX.npz``)."""
    saved = {}
    for path in saved_heatmap_files(run_dir):
        match = _EPOCH_FILE.search(path.name)
        if match is None:
            continue
        with np.load(path) as npz:
            saved[int(match.group(1))] = {k: npz[k] for k in npz.files}
    return saved


def train_config(run_dir: str | Path) -> TrainConfig:
    """The training settings the run recorded."""
    return read_record(run_dir).train


def recorded_preparation(run_dir: str | Path) -> PrepareConfig | None:
    """How the run's slices were prepared (its dataset manifest), or None when it does not say.

    Resuming rebuilds exactly this preparation (with or without the corrected masks, at
    the run's image size), whatever a form or the command line says now.
    """
    return read_record(run_dir).dataset.preparation


def image_size(run_dir: str | Path) -> int | None:
    """The image size a run was trained at (None when its config does not say or is unreadable)."""
    try:
        size = read_record(run_dir).train.image_size
    except LrpStudioError:
        return None
    return int(size) if size is not None else None


def run_data_settings(run_dir: str | Path) -> RunDataSettings:
    """Channels, image size, mask region and colour scale of a run (from its files)."""
    record = read_record(run_dir)
    preparation = record.dataset.preparation
    if record.train.image_size is None:
        raise LrpStudioError("the run records no image size", RunFolder(run_dir).config_path)
    return RunDataSettings(channels=record.dataset.channels or DEFAULT_CHANNELS,
                           image_size=int(record.train.image_size),
                           region=preparation.mask if preparation is not None else "whole",
                           vmax=run_colour_scale(run_dir))


def pinned_slices(run_dir: str | Path) -> list[tuple[str, int]]:
    """The (case, slice) pairs of a run's Fig. 7 heatmaps, in column order (heatmaps/pinned.json)."""
    record = RunFolder(run_dir).read_pinned()
    return [(s.case, s.slice) for s in record.slices] if record is not None else []
