"""LRP heatmaps of pinned slices: which slices, their explanations and their arrays on disk.

A run pins a fixed set of validation slices (both classes) and explains them after every
epoch, so the heatmaps of successive epochs can be compared. Relevance is summed over
the channels and divided by its total absolute relevance per slice; one symmetric colour
scale is fixed per run (from the first heatmaps drawn) so that colours mean the same in
every epoch (:func:`lrpstudio.core.render.colours.colour_scale`). The PNG figures are
drawn by :mod:`lrpstudio.core.render.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.xai.relevance import forward_with_relevance
from lrpstudio.core.xai.score import tumor_lrp_score


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


def save_heatmap_arrays(path: str | Path, rows: np.ndarray, maps: Heatmaps, vmax: float) -> Path:
    """Write one epoch's heatmaps as .npz (rows = dataset rows of the pinned slices)."""
    arrays: dict[str, Any] = {"rows": rows, "relevance": maps.relevance, "scores": maps.scores,
              "predictions": maps.predictions, "probabilities": maps.probabilities,
              "vmax": np.float64(vmax)}
    return atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))
