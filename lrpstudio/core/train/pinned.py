"""The pinned validation slices of a run, explained after every epoch (Fig. 7).

The rows are chosen once from the run's seed and recorded in ``heatmaps/pinned.json``;
the colour scale is fixed by the first heatmaps drawn and kept in the same file, so a
resumed run draws with the same rows and colours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.heatmaps import (
    colour_scale, display_channel, explain_batch, pin_slices, render_epoch_png, save_heatmap_arrays,
)
from lrpstudio.core.train.run_folder import RunFolder

PINNED_FILE = "pinned.json"


@dataclass
class PinnedSlices:
    """Pinned slices: their rows in the validation split and the run's colour scale."""

    dataset: SliceDataset
    rows: np.ndarray
    folder: RunFolder
    vmax: float | None = None

    @classmethod
    def choose(cls, val_set: SliceDataset, config: TrainConfig, folder: RunFolder) -> "PinnedSlices":
        """Reuse the run's recorded choice, or pin ``config.pinned`` slices now."""
        record = _read(folder)
        if record is not None:
            return cls(val_set, np.asarray(record["rows"], dtype=np.int64), folder, record.get("vmax"))
        rows = pin_slices(val_set, config.pinned, config.seed) if config.pinned else np.zeros(0, np.int64)
        pinned = cls(val_set, rows, folder)
        pinned._write()
        return pinned

    def _write(self) -> None:
        ds = self.dataset
        record: dict[str, Any] = {
            "rows": [int(r) for r in self.rows], "vmax": self.vmax,
            "slices": [{"case": str(ds.case_ids[r]), "slice": int(ds.slice_index[r]),
                        "label": int(ds.labels[r])} for r in self.rows],
        }
        atomic_write_text(self.folder.heatmap_dir / PINNED_FILE, json.dumps(record, indent=2) + "\n")

    def explain(self, model: torch.nn.Module, device: torch.device, epoch: int,
                composite: str) -> dict[str, np.ndarray] | None:
        """Explain the pinned slices; write epoch_XXX.npz and .png; return the arrays."""
        if self.rows.size == 0:
            return None
        from lrpstudio.core.train.engine import to_batch

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


def _read(folder: RunFolder) -> dict[str, Any] | None:
    path = folder.heatmap_dir / PINNED_FILE
    return json.loads(path.read_text()) if path.is_file() else None
