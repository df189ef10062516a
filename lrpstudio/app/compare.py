"""Comparing runs: the paper's Fig. 5 arrays, and a finished run's Fig. 7 inputs again.

:func:`comparison_arrays` explains the same slices with each selected run's best model
through :func:`lrpstudio.core.train.experiment.explain_runs`, the function that draws
``lrpstudio experiment``'s ``fig5.png``, and can add the viewer's slice as a last row.
:func:`heatmap_inputs` finds a run's pinned slices in the open data so its saved Fig. 7
heatmaps can be shown again. Plain arrays only: a worker thread computes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from lrpstudio.app.explain import SliceExplanation, explain_viewer_slice
from lrpstudio.app.run_info import image_size, pinned_slices
from lrpstudio.app.run_summaries import short_labels
from lrpstudio.app.slices import ViewerSlice
from lrpstudio.app.training import pinned_inputs
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.evaluate import evaluate_run
from lrpstudio.core.train.experiment import explain_runs
from lrpstudio.core.render.colours import colour_scale, display_channel
from lrpstudio.core.train.heatmaps import pin_slices
from lrpstudio.core.train.pinned import user_rows

__all__ = ["DatasetLoader", "comparison_arrays", "evaluate_runs", "heatmap_inputs"]

#: The open data's slice dataset at an image size (prepared or cached).
DatasetLoader = Callable[[int], SliceDataset]


def comparison_arrays(dataset: SliceDataset, runs: list[Path], split: str, count: int,
                      seed: int = 0, current: ViewerSlice | None = None) -> dict[str, Any]:
    """Explain the same ``count`` slices of ``split`` with each run's best model (Fig. 5).

    With ``current`` the viewer's slice is the last row, prepared like the dataset and
    scored against the viewer's mask (see :func:`lrpstudio.app.explain.explain_viewer_slice`).

    Returns
    -------
    dict
        images (N,H,W) grey, masks, labels, titles, names (run folders), display (their
        short labels) and maps: per run a dict of relevance, scores, predictions and its
        colour scale vmax.
    """
    part = dataset.subset(split)
    if len(part) == 0:
        part = dataset.subset("val") if len(dataset.subset("val")) else dataset
    rows = pin_slices(part, count, seed)
    maps, extra = [], []
    for run, (h, model) in zip(runs, explain_runs(part, rows, list(runs))):
        m = {"relevance": h.relevance, "scores": h.scores, "predictions": h.predictions}
        if current is not None:
            extra.append(explain_viewer_slice(run, current, model))
            m = _append_current(m, extra[-1])
        maps.append({**m, "vmax": colour_scale(m["relevance"])})
    channel = display_channel(part.channels)
    arrays = {"images": np.array(part.images[rows, channel]), "masks": np.array(part.tumor_masks[rows]),
              "labels": np.array(part.labels[rows]), "names": [Path(r).name for r in runs],
              "display": short_labels([Path(r) for r in runs]),
              "titles": [f"{part.case_ids[r]} z{int(part.slice_index[r])}" for r in rows], "maps": maps}
    return _with_current_row(arrays, current, extra[0]) if current is not None and extra else arrays


def _append_current(maps: dict[str, np.ndarray], r: SliceExplanation) -> dict[str, np.ndarray]:
    """One run's maps with its explanation of the viewer's slice as a last row."""
    return {"relevance": np.concatenate([maps["relevance"], r.relevance[None]]),
            "scores": np.append(maps["scores"], r.score),
            "predictions": np.append(maps["predictions"], r.prediction)}


def _with_current_row(arrays: dict[str, Any], current: ViewerSlice, r: SliceExplanation) -> dict[str, Any]:
    """The grid's input columns with the viewer's slice as a last row (label: its grade,
    else the first model's prediction)."""
    label = r.label if r.label is not None else r.prediction

    def append(key: str, value: Any) -> np.ndarray:
        return np.concatenate([arrays[key], np.asarray([value], dtype=arrays[key].dtype)])

    return {**arrays, "images": append("images", r.image), "masks": append("masks", r.tumour),
            "labels": append("labels", label),
            "titles": arrays["titles"] + [f"{current.case_id} z{current.z} (viewer)"]}


def heatmap_inputs(dataset: SliceDataset, run_dir: str | Path) -> dict[str, Any]:
    """The Fig. 7 inputs (grey image, mask, label, title) of a run's pinned slices.

    The slices are looked up by case and slice number (heatmaps/pinned.json), so any
    dataset of the open data at the run's image size serves, whatever split they were in.
    """
    pairs = pinned_slices(run_dir)
    rows = user_rows(dataset, tuple(pairs))
    if len(rows) != len(pairs):
        found = {(str(dataset.case_ids[r]), int(dataset.slice_index[r])) for r in rows}
        case, z = next(p for p in pairs if p not in found)
        raise LrpStudioError(f"pinned slice {case} z{z} is not in the open data", run_dir)
    return pinned_inputs(dataset, np.asarray(rows, dtype=np.int64))


def evaluate_runs(runs: list[Path], load: DatasetLoader, split: str = "test") -> dict[str, dict[str, Any]]:
    """Each run's best model evaluated on ``split`` (Table 1 numbers), by run folder.

    Each run is evaluated on the dataset at its own image size (one dataset per size).

    Raises
    ------
    LrpStudioError
        A run's config.json records no image size.
    """
    sizes: dict[Path, int] = {}
    for run in runs:
        size = image_size(run)
        if size is None:
            raise LrpStudioError("the run's config.json has no image size", run)
        sizes[run] = size
    datasets = {s: load(s) for s in sorted(set(sizes.values()))}
    return {str(r): evaluate_run(r, datasets[s], split) for r, s in sizes.items()}
