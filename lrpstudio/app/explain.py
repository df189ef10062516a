"""Explain the viewer's slice with a run's model: heatmap, TumorLRPScore and prediction.

The slice is prepared like the run's dataset (:mod:`lrpstudio.app.slices`) and scored
against the mask as it is now in the viewer (possibly corrected and not yet saved).
The relevance comes from the core's :func:`~lrpstudio.core.train.heatmaps.explain_batch`
with the run's composite, the colour scale from the run's own
(:func:`~lrpstudio.core.train.explain.run_colour_scale`), as ``lrpstudio explain`` does
for a dataset slice (:func:`lrpstudio.core.train.explain.explain_slice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lrpstudio.app.run_info import run_data_settings, train_config
from lrpstudio.app.slices import PreparedSlice, ViewerSlice, prepare_viewer_slice
from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.render.colours import colour_scale, display_channel
from lrpstudio.core.train.heatmaps import explain_batch

__all__ = ["GRADES", "ModelCache", "SliceExplanation", "explain_viewer_slice"]


@dataclass(frozen=True)
class SliceExplanation:
    """One slice explained by one model.

    Attributes
    ----------
    image
        The grey display channel of the prepared input (S, S).
    tumour
        The guidance region (S, S) the score was computed against.
    relevance
        The LRP heatmap (S, S).
    score
        TumorLRPScore (NaN when the slice has no tumour).
    prediction, probability_hgg
        The model's class (index into ``GRADES``) and P(HGG).
    label
        The class explained: the true grade's index, None when unknown (then the
        prediction was explained).
    vmax
        The colour scale: the run's, else this heatmap's own.
    """

    image: np.ndarray
    tumour: np.ndarray
    relevance: np.ndarray
    score: float
    prediction: int
    probability_hgg: float
    label: int | None
    vmax: float

    def summary(self) -> str:
        """One line: prediction, P(HGG), the true grade and the score."""
        truth = GRADES[self.label] if self.label is not None else "unknown (explaining the prediction)"
        score = f"{self.score:.3f}" if np.isfinite(self.score) else "n/a (no tumour here)"
        return (f"Prediction {GRADES[self.prediction]} (P(HGG) = {self.probability_hgg:.2f}); "
                f"true grade {truth}; TumorLRPScore against the current mask: {score}")


class ModelCache:
    """Best models of runs, loaded once each (explaining again is then quick).

    Parameters
    ----------
    device
        Where the models are put: ``cpu``, ``cuda`` or ``cuda:N``.
    """

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.models: dict[str, torch.nn.Module] = {}

    def get(self, run_dir: str | Path) -> torch.nn.Module:
        """The best checkpoint's model of ``run_dir``, on :attr:`device`."""
        key = str(run_dir)
        if key not in self.models:
            self.models[key] = load_run_model(run_dir, "best", self.device)[0]
        return self.models[key]


def explain_viewer_slice(run_dir: str | Path, current: ViewerSlice,
                         model: torch.nn.Module | None = None) -> SliceExplanation:
    """Explain the viewer's slice with a run's best model, for its true grade.

    Without a known grade the predicted class is explained.

    Parameters
    ----------
    run_dir
        The run.
    current
        The viewer's slice.
    model
        The run's model when already loaded (else its best checkpoint is read).
    """
    settings = run_data_settings(run_dir)
    if model is None:
        model, _, _ = load_run_model(run_dir, "best")
    composite = train_config(run_dir).composite
    prepared: PreparedSlice = prepare_viewer_slice(current, settings)
    device = next(model.parameters()).device
    x = torch.from_numpy(prepared.image[None]).to(device)
    with torch.no_grad():
        predicted = int(model.eval()(x).argmax(dim=1)[0])
    known = current.grade in GRADES
    label = GRADES.index(current.grade) if known else predicted
    maps = explain_batch(model, x, torch.tensor([label], device=device),
                         torch.from_numpy(prepared.tumour[None]).to(device),
                         torch.from_numpy(prepared.brain[None]).to(device), composite)
    return SliceExplanation(
        image=prepared.image[display_channel(settings.channels)], tumour=prepared.tumour,
        relevance=maps.relevance[0], score=float(maps.scores[0]), prediction=int(maps.predictions[0]),
        probability_hgg=float(maps.probabilities[0]), label=label if known else None,
        vmax=settings.vmax or colour_scale(maps.relevance))
