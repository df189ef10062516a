"""The heatmap figures as PNG contact sheets: the paper's Fig. 7 (one run, per epoch) and Fig. 5.

Each figure is a grid of :mod:`lrpstudio.core.render.sheet` cells made of the pixels of
:mod:`lrpstudio.core.render.colours`, so it shows what the desktop views show. Drawn with
Pillow: fast, and light on a GUI's event loop when a run trains in a worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.render.colours import caption, colour_scale, heat_rgba, input_rgba, mask_rgba
from lrpstudio.core.render.sheet import Cell, render_sheet


class HeatmapArrays(Protocol):
    """What a figure draws of a set of explained slices (e.g. ``train.heatmaps.Heatmaps``)."""

    @property
    def relevance(self) -> np.ndarray:
        """(N, H, W) relevance, normalised per slice."""

    @property
    def scores(self) -> np.ndarray:
        """(N,) TumorLRPScore (NaN without tumour)."""

    @property
    def predictions(self) -> np.ndarray:
        """(N,) predicted class."""


def _wrap(title: str) -> tuple[str, str]:
    """``"<case> z<k>"`` as two lines: case ids are long."""
    case, _, z = title.rpartition(" ")
    return (case, z) if case else (title, "")


def render_epoch_png(
    path: str | Path, images: np.ndarray, masks: np.ndarray, labels: np.ndarray,
    titles: Sequence[str], maps: HeatmapArrays, vmax: float, heading: str,
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
    """:func:`~lrpstudio.core.render.colours.caption` on two lines (tiles are narrow)."""
    first, _, second = caption(score, prediction, label).partition(" · ")
    return first, second


def render_comparison_png(
    path: str | Path, images: np.ndarray, masks: np.ndarray, labels: np.ndarray,
    titles: Sequence[str], model_names: Sequence[str], maps: Sequence[HeatmapArrays],
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


