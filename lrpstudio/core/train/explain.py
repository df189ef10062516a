"""One slice's LRP heatmap as a PNG, with its score and prediction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.train.evaluate import check_compatible, load_run_model
from lrpstudio.core.render.colours import colour_scale, display_channel
from lrpstudio.core.train.heatmaps import explain_batch
from lrpstudio.core.render.figures import render_epoch_png
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.step import to_batch


def explain_slice(run_dir: str | Path, dataset: SliceDataset, case_id: str, out_png: str | Path,
                  slice_index: int | None = None, which: str = "best", device: str = "cpu",
                  composite: str | None = None, source: str | Path | None = None) -> dict[str, Any]:
    """Explain one slice with a run's model and write the heatmap PNG.

    Parameters
    ----------
    run_dir
        The run folder.
    dataset
        Where the slice is looked up (any split).
    case_id, slice_index
        The slice; ``slice_index`` None = the case's largest-tumour slice in the dataset.
    out_png
        The PNG to write (its folder is created).
    which, device, composite
        Checkpoint, device, and composite (None = the run's).

    Returns
    -------
    dict
        case, slice, label, prediction, probability_hgg, score, png.
    """
    model, config, _ = load_run_model(run_dir, which, device)
    check_compatible(config, dataset, source)
    row = dataset.find(case_id, slice_index)
    rows = np.asarray([row])
    batch = to_batch(dataset, rows, next(model.parameters()).device)
    maps = explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain,
                         composite or config.composite)
    vmax = run_colour_scale(run_dir) or colour_scale(maps.relevance)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    z = int(dataset.slice_index[row])
    render_epoch_png(out_png, dataset.images[rows, display_channel(dataset.channels)],
                     dataset.tumor_masks[rows], dataset.labels[rows], [f"{case_id} z{z}"], maps, vmax,
                     f"{Path(run_dir).name} ({which})")
    score = float(maps.scores[0])
    return {"case": case_id, "slice": z, "label": GRADES[int(dataset.labels[row])],
            "prediction": GRADES[int(maps.predictions[0])],
            "probability_hgg": float(maps.probabilities[0]),
            "score": score if np.isfinite(score) else None, "png": str(out_png)}


def run_colour_scale(run_dir: str | Path) -> float | None:
    """The run's fixed heatmap colour scale (``heatmaps/pinned.json``), None when it saved none.

    Every explanation of a run's model uses it, so a new heatmap matches its per-epoch ones.
    """
    record = RunFolder(run_dir).read_pinned()
    return (record.vmax or None) if record is not None else None
