"""Similar cases of the viewer's slice (the paper's Fig. 3): neighbours, Deep k-NN, BiLRP.

:class:`SimilarEngine` keeps one core :class:`~lrpstudio.core.xai.similar.SimilarCases`
per run (its training atlas cached in ``<run>/similar``) and answers in plain data, so
worker threads can call it. The query slice is the viewer's, prepared like the run's
dataset (:func:`lrpstudio.app.slices.prepare_viewer_slice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lrpstudio.app.run_info import run_data_settings
from lrpstudio.app.slices import ViewerSlice, prepare_viewer_slice
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.render.colours import display_channel
from lrpstudio.core.render.bilrp_lines import BilrpLines, LineSegment
from lrpstudio.core.xai.knn import Neighbour
from lrpstudio.core.xai.similar import SimilarCases, SimilarConfig

__all__ = ["GRADES", "MAX_PAIRS", "BilrpLines", "LineSegment", "Neighbour", "SimilarEngine", "SimilarQuery",
           "similar_config", "similar_query"]

#: BiLRP pairs handed to an interactive view (threshold 0: it filters them by strength
#: itself): every pair at 48 px with 8x8 patches (36 x 36 = 1296); at 128 px (65,536
#: pairs) the strongest 2000, still drawn smoothly.
MAX_PAIRS = 2000

#: The slice dataset of the open data at an image size (prepared or cached).
DatasetLoader = Callable[[int], SliceDataset]


@dataclass(frozen=True)
class SimilarQuery:
    """A slice to find neighbours of, prepared with one run's settings.

    Attributes
    ----------
    run
        The run folder (its best model answers).
    k
        Neighbours per layer.
    image
        The network input (C, S, S).
    tumour
        Its guidance region (S, S).
    grey
        Its display channel (S, S), for pictures.
    case_id, z
        Where it comes from (the query's own patient is never its neighbour).
    """

    run: str
    k: int
    image: np.ndarray
    tumour: np.ndarray
    grey: np.ndarray
    case_id: str
    z: int


def similar_query(run: str | Path, k: int, current: ViewerSlice) -> SimilarQuery:
    """The viewer's slice prepared as ``run``'s dataset was, as a query for ``k`` neighbours."""
    settings = run_data_settings(run)
    prepared = prepare_viewer_slice(current, settings)
    return SimilarQuery(str(run), int(k), prepared.image, prepared.tumour,
                        prepared.image[display_channel(settings.channels)], current.case_id, current.z)


def similar_config(k: int) -> SimilarConfig:
    """Interactive query settings: k neighbours, and BiLRP pairs up to :data:`MAX_PAIRS` with
    no threshold, so that a view's slider and strength box can filter them all."""
    return SimilarConfig(k=k, top_n=MAX_PAIRS, threshold=0.0)


class SimilarEngine:
    """One :class:`SimilarCases` per (run, k), built lazily on first use.

    Parameters
    ----------
    loader
        The open data's slice dataset at a run's image size (the atlas is its training split).
    """

    def __init__(self, loader: DatasetLoader) -> None:
        self.loader = loader
        self.cache: dict[tuple[str, int], SimilarCases] = {}

    def get(self, run: str, k: int) -> SimilarCases:
        """The similar-cases engine of a run's best model (atlas cached in ``<run>/similar``)."""
        if (run, k) not in self.cache:
            model, config, _ = load_run_model(run, "best")
            if config.image_size is None:
                raise LrpStudioError("the run records no image size", run)
            dataset = self.loader(int(config.image_size))
            self.cache[(run, k)] = SimilarCases(model, dataset, similar_config(k),
                                                cache_dir=Path(run) / "similar")
        return self.cache[(run, k)]

    def query(self, run: str, k: int, image: np.ndarray, case_id: str,
              one_per_patient: bool = True) -> dict[str, Any]:
        """Neighbours per layer, the Deep k-NN verdict and the neighbours' thumbnails.

        With ``one_per_patient`` the neighbours shown are each patient's nearest slice;
        the verdict always counts plain neighbours, as its calibration did.

        Returns
        -------
        dict
            neighbours (layer -> list of Neighbour), verdict (dict or None), thumbs and
            masks (atlas row -> grey image, tumour mask).
        """
        sim = self.get(run, k)
        plain = sim.neighbours(image, case_id)
        verdict = sim.credibility(plain)
        neighbours = sim.neighbours(image, case_id, one_per_patient=True) if one_per_patient else plain
        atlas = sim.atlas_data
        channel = display_channel(atlas.channels)
        rows = sorted({n.row for ns in neighbours.values() for n in ns})
        return {"neighbours": neighbours, "verdict": None if verdict is None else verdict.as_dict(),
                "thumbs": {r: np.array(atlas.images[r, channel]) for r in rows},
                "masks": {r: np.array(atlas.tumor_masks[r]) for r in rows}}

    def bilrp(self, run: str, k: int, layer: str, image: np.ndarray, neighbour: Neighbour) -> BilrpLines:
        """BiLRP line data between the query image and one neighbour at ``layer``."""
        sim = self.get(run, k)
        return sim.explain(layer, sim.explainer(layer).side(image), neighbour)
