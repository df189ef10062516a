"""LRP heatmaps of pinned slices, and their PNG rendering (the paper's Fig. 5 and Fig. 7).

A run pins a fixed set of validation slices (both classes) and explains them after every
epoch, so the heatmaps of successive epochs can be compared. Relevance is summed over
the channels and divided by its total absolute relevance per slice; one symmetric colour
scale is fixed per run (from the first heatmaps drawn) so that colours mean the same in
every epoch. PNGs are contact sheets drawn with Pillow from the same pixels the desktop
views show (:mod:`lrpstudio.core.xai.sheet`): fast, and light on a GUI's event loop when
a run trains in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.xai.pictures import caption, heat_rgba, input_rgba, mask_rgba
from lrpstudio.core.xai.sheet import Cell, render_sheet

#: Percentile of |normalised relevance| that sets a run's colour scale.
SCALE_PERCENTILE = 99.5


def pin_slices(dataset: SliceDataset, count: int, seed: int) -> np.ndarray:
    """Rows of ``dataset`` to explain every epoch: ``count`` slices, both classes.

    Only slices with a tumour are eligible; at most one slice per patient while there
    are enough patients, so the set shows different cases. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    has_tumour = dataset.tumor_masks.reshape(len(dataset), -1).any(axis=1)
    per_class = [count // 2 + count % 2, count // 2]
    chosen: list[int] = []
    for label, want in enumerate(per_class):
        rows = np.flatnonzero(has_tumour & (dataset.labels == label))
        rows = rows[rng.permutation(rows.size)]
        _, first = np.unique(dataset.case_ids[rows], return_index=True)
        one_per_case = rows[np.sort(first)]
        rest = np.setdiff1d(rows, one_per_case, assume_unique=True)
        chosen.extend(int(r) for r in np.concatenate([one_per_case, rest])[:want])
    if len(chosen) < count:  # one class is short: fill from the other
        spare = [int(r) for r in np.flatnonzero(has_tumour) if int(r) not in chosen]
        chosen.extend(spare[: count - len(chosen)])
    return np.asarray(sorted(chosen), dtype=np.int64)


@dataclass(frozen=True)
class Heatmaps:
    """Explanations of a set of slices.

    Attributes
    ----------
    relevance
        float32 (N, H, W): relevance summed over channels, divided by its total |R|.
    scores
        float64 (N,): TumorLRPScore per slice (NaN without tumour).
    predictions
        int64 (N,): predicted class.
    probabilities
        float64 (N,): predicted probability of HGG.
    """

    relevance: np.ndarray
    scores: np.ndarray
    predictions: np.ndarray
    probabilities: np.ndarray


def explain_batch(
    model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
    tumor: torch.Tensor, brain: torch.Tensor, composite: str,
) -> Heatmaps:
    """Explain slices for their true label, in eval mode; the model's mode is restored.

    Parameters
    ----------
    images
        (N, C, H, W) on the model's device.
    labels, tumor, brain
        (N,), (N, H, W), (N, H, W) on the same device.
    composite
        zennit composite name (see :mod:`lrpstudio.core.xai`).
    """
    from lrpstudio.core.xai.relevance import forward_with_relevance
    from lrpstudio.core.xai.score import tumor_lrp_score

    was_training = model.training
    model.eval()
    try:
        logits, rel = forward_with_relevance(model, images, labels, composite=composite)
        logits, rel = logits.detach(), rel.detach()
        scores = tumor_lrp_score(rel, tumor, brain).detach()
    finally:
        model.train(was_training)
    has_tumour = tumor.reshape(len(tumor), -1).any(dim=1)
    scores = torch.where(has_tumour, scores.to(torch.float64), torch.nan)
    heat = rel.sum(dim=1).to(torch.float64)
    total = heat.abs().flatten(1).sum(dim=1).clamp_min(1e-30)[:, None, None]
    return Heatmaps(
        relevance=(heat / total).cpu().numpy().astype(np.float32),
        scores=scores.cpu().numpy(),
        predictions=logits.argmax(dim=1).cpu().numpy().astype(np.int64),
        probabilities=torch.softmax(logits.double(), dim=1)[:, 1].cpu().numpy(),
    )


def colour_scale(relevance: np.ndarray) -> float:
    """Symmetric colour limit: a high percentile of |relevance| (never 0)."""
    value = float(np.percentile(np.abs(relevance), SCALE_PERCENTILE)) if relevance.size else 0.0
    return value if value > 0 else 1e-6


def display_channel(channels: Sequence[str]) -> int:
    """Index of the channel shown as the grey input image (FLAIR when present)."""
    return list(channels).index("flair") if "flair" in channels else len(channels) - 1


def _wrap(title: str) -> tuple[str, str]:
    """``"<case> z<k>"`` as two lines: case ids are long."""
    case, _, z = title.rpartition(" ")
    return (case, z) if case else (title, "")


def render_epoch_png(
    path: str | Path, images: np.ndarray, masks: np.ndarray, labels: np.ndarray,
    titles: Sequence[str], maps: Heatmaps, vmax: float, heading: str,
) -> Path:
    """Fig. 7 style: for each pinned slice its input (with tumour outline) above its heatmap.

    Parameters
    ----------
    images
        (N, H, W) grey images (one channel).
    masks, labels, titles
        Tumour masks (N, H, W), true labels, one title per slice.
    maps
        Their explanations; ``vmax`` the run's colour scale (a bar at the bottom).
    """
    inputs, heats = [], []
    for i in range(len(images)):
        case, z = _wrap(titles[i])
        inputs.append(Cell(input_rgba(images[i], masks[i]), above=(case, f"{z} · true {GRADES[int(labels[i])]}")))
        score, pred = float(maps.scores[i]), int(maps.predictions[i])
        heats.append(Cell(heat_rgba(maps.relevance[i], vmax), below=_caption_lines(score, pred, labels[i])))
    return render_sheet(path, [inputs, heats], heading=heading, colour_bar=vmax)


def _caption_lines(score: float, prediction: int, label: int | None) -> tuple[str, str]:
    """:func:`~lrpstudio.core.xai.pictures.caption` on two lines (tiles are narrow)."""
    first, _, second = caption(score, prediction, label).partition(" · ")
    return first, second


def render_comparison_png(
    path: str | Path, images: np.ndarray, masks: np.ndarray, labels: np.ndarray,
    titles: Sequence[str], model_names: Sequence[str], maps: Sequence[Heatmaps],
) -> Path:
    """Fig. 5 style grid: one row per slice; input, mask, then each model's heatmap.

    Each model's column uses one symmetric colour scale for all its slices.
    """
    scales = [colour_scale(h.relevance) for h in maps]
    rows = []
    for i in range(len(images)):
        case, z = _wrap(titles[i])
        row = [Cell(input_rgba(images[i], None), above=(case, f"{z} ({GRADES[int(labels[i])]})")),
               Cell(mask_rgba(masks[i]), above=("tumour mask", ""))]
        for j, name in enumerate(model_names):
            head = (name, f"scale ±{scales[j]:.3g}") if i == 0 else ("", "")
            row.append(Cell(heat_rgba(maps[j].relevance[i], scales[j]), above=head,
                            below=_caption_lines(float(maps[j].scores[i]), int(maps[j].predictions[i]),
                                                 labels[i])))
        rows.append(row)
    return render_sheet(path, rows)


def save_heatmap_arrays(path: str | Path, rows: np.ndarray, maps: Heatmaps, vmax: float) -> Path:
    """Write one epoch's heatmaps as .npz (rows = dataset rows of the pinned slices)."""
    arrays = {"rows": rows, "relevance": maps.relevance, "scores": maps.scores,
              "predictions": maps.predictions, "probabilities": maps.probabilities,
              "vmax": np.float64(vmax)}
    return atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))
