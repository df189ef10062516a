"""The pinned validation slices of a run, explained after every epoch (Fig. 7).

The rows are chosen once from the run's seed and recorded in ``heatmaps/pinned.json``;
slices the user pinned (``TrainConfig.pinned_slices``, from any split) come first, and
then the rows index the whole dataset (``"pool": "all"`` in the record) instead of the
validation split. The colour scale is fixed by the first heatmaps drawn and kept in the
same file, so a resumed run draws with the same rows and colours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.render.colours import colour_scale, display_channel
from lrpstudio.core.train.heatmaps import explain_batch, pin_slices, save_heatmap_arrays
from lrpstudio.core.render.figures import render_epoch_png
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_record import PinnedRecord, PinnedSlice
from lrpstudio.core.train.step import to_batch

log = logging.getLogger(__name__)


@dataclass
class PinnedSlices:
    """Pinned slices: their rows in the validation split and the run's colour scale."""

    dataset: SliceDataset
    rows: np.ndarray
    folder: RunFolder
    vmax: float | None = None
    #: What ``rows`` index: ``"val"`` (the validation split) or ``"all"`` (the dataset).
    pool: str = "val"

    @classmethod
    def choose(cls, val_set: SliceDataset, config: TrainConfig, folder: RunFolder,
               dataset: SliceDataset | None = None) -> "PinnedSlices":
        """Reuse the run's recorded choice, or pin slices now.

        Parameters
        ----------
        val_set
            The split the seeded ``config.pinned`` slices come from.
        config
            ``pinned`` (how many seeded slices) and ``pinned_slices`` (user pins, first).
        folder
            The run folder holding ``heatmaps/pinned.json``.
        dataset
            The whole dataset, where user pins are looked up (None: no user pins).
        """
        record = folder.read_pinned()
        if record is not None:
            source = dataset if record.pool == "all" and dataset is not None else val_set
            return cls(source, np.asarray(record.rows, dtype=np.int64), folder, record.vmax,
                       "all" if source is dataset else "val")
        seeded = pin_slices(val_set, config.pinned, config.seed) if config.pinned else np.zeros(0, np.int64)
        user = user_rows(dataset, config.pinned_slices) if dataset is not None else []
        if user and dataset is not None:
            pinned = cls(dataset, _user_first(user, _rows_in(dataset, val_set, seeded), config.pinned),
                         folder, pool="all")
        else:
            pinned = cls(val_set, seeded, folder)
        pinned._write()
        return pinned

    def _write(self) -> None:
        ds = self.dataset
        self.folder.write_pinned(PinnedRecord(
            rows=tuple(int(r) for r in self.rows), pool=self.pool, vmax=self.vmax,
            slices=tuple(PinnedSlice(str(ds.case_ids[r]), int(ds.slice_index[r]), int(ds.labels[r]))
                         for r in self.rows)))

    def explain(self, model: torch.nn.Module, device: torch.device, epoch: int,
                composite: str) -> dict[str, np.ndarray] | None:
        """Explain the pinned slices; write epoch_XXX.npz and .png; return the arrays."""
        if self.rows.size == 0:
            return None
        batch = to_batch(self.dataset, self.rows, device)
        maps = explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain, composite)
        if self.vmax is None:
            self.vmax = colour_scale(maps.relevance)
            self._write()
        ds, rows = self.dataset, self.rows
        stem = self.folder.heatmap_dir / f"epoch_{epoch:03d}"
        save_heatmap_arrays(stem.with_suffix(".npz"), rows, maps, self.vmax)
        channel = display_channel(ds.channels)
        titles = [f"{ds.case_ids[r]} z{int(ds.slice_index[r])}" for r in rows]
        render_epoch_png(stem.with_suffix(".png"), ds.images[rows, channel], ds.tumor_masks[rows],
                         ds.labels[rows], titles, maps, self.vmax, f"epoch {epoch}")
        self.folder.log_event("heatmaps", epoch=epoch, npz=stem.with_suffix(".npz").name,
                              png=stem.with_suffix(".png").name)
        return {"rows": rows.copy(), "relevance": maps.relevance, "scores": maps.scores,
                "predictions": maps.predictions, "labels": ds.labels[rows].copy(),
                "vmax": np.float64(self.vmax)}


def user_rows(dataset: SliceDataset, pairs: tuple[tuple[str, int], ...]) -> list[int]:
    """Rows of ``dataset`` holding the ``(case_id, slice_index)`` pairs, in their order.

    Pairs that are not in the dataset (another data folder, a slice without brain) are
    skipped with a log line.
    """
    rows: list[int] = []
    for case_id, z in pairs:
        hit = np.flatnonzero((dataset.case_ids == case_id) & (dataset.slice_index == int(z)))
        if hit.size == 0:
            log.info("pinned slice %s z%d is not in the dataset: skipped", case_id, int(z))
        elif int(hit[0]) not in rows:
            rows.append(int(hit[0]))
    return rows


def _rows_in(dataset: SliceDataset, part: SliceDataset, rows: np.ndarray) -> list[int]:
    """The rows of ``dataset`` holding rows ``rows`` of its subset ``part``."""
    return user_rows(dataset, tuple((str(part.case_ids[r]), int(part.slice_index[r])) for r in rows))


def _user_first(user: list[int], seeded: list[int], count: int) -> np.ndarray:
    """User rows, then seeded rows not among them, ``max(count, len(user))`` in all."""
    rows = user + [r for r in seeded if r not in user]
    return np.asarray(rows[:max(count, len(user))], dtype=np.int64)


def saved_pinned_rows(run_dir: str | Path) -> tuple[str, np.ndarray] | None:
    """The pool (``"val"`` or ``"all"``) and rows a run pinned, or None before it chose them."""
    record = RunFolder(run_dir).read_pinned()
    if record is None:
        return None
    return record.pool, np.asarray(record.rows, dtype=np.int64)


def pinned_pool(run_dir: str | Path) -> str:
    """What a run's pinned rows index: ``"val"`` or ``"all"`` (``"val"`` before they are chosen)."""
    record = RunFolder(run_dir).read_pinned()
    return record.pool if record is not None else "val"
