"""Similar cases: one object that answers "which training slices does the network think
this slice resembles, and why?" (the paper's Fig. 3), for the CLI and the GUI alike.

:class:`SimilarCases` holds a model, the atlas index of its training slices (cached in the
run folder), the Deep k-NN calibration on the validation slices, and one BiLRP explainer
per layer whose atlas sides are cached, so that explaining a query against k neighbours
costs one batched pass for the query and one per neighbour not seen before.
:func:`write_similar_report` writes what ``lrpstudio similar`` promises: per layer the
neighbours (JSON), a PNG gallery, and a BiLRP PNG for the query and each neighbour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import DatasetError, InputError
from lrpstudio.core.xai.bilrp import BilrpConfig, BilrpExplainer
from lrpstudio.core.xai.bilrp_math import combine
from lrpstudio.core.xai.composites import DEFAULT_BILRP_COMPOSITE
from lrpstudio.core.render.bilrp_lines import (
    BilrpLines, GalleryItem, render_bilrp_png, render_gallery_png, strongest_pairs,
)
from lrpstudio.core.xai.deep_knn import DknnCalibration, DknnResult, calibrate, deep_knn
from lrpstudio.core.jobs import Cancel, ProgressCallback
from lrpstudio.core.xai.features import extract_features, model_layers
from lrpstudio.core.xai.knn import KnnIndex, Neighbour, build_atlas, cache_file

REPORT_FILE = "similar.json"


@dataclass(frozen=True)
class SimilarConfig:
    """Parameters of a similar-cases query and its pictures."""

    k: int = 5
    projection_dim: int = 100
    pool: int = 8
    composite: str = DEFAULT_BILRP_COMPOSITE
    seed: int = 0
    top_n: int = 40
    threshold: float = 0.1


class SimilarCases:
    """k-NN, Deep k-NN and BiLRP over one model's training atlas.

    Parameters
    ----------
    model
        The trained network.
    dataset
        A slice dataset with splits: ``train`` is the atlas, ``val`` the calibration set.
    config
        k, BiLRP and rendering parameters.
    cache_dir
        Where the atlas features are cached (e.g. ``<run>/similar``); None: no cache.
    progress, cancel
        For building the atlas and the calibration.
    """

    def __init__(self, model: torch.nn.Module, dataset: SliceDataset, config: SimilarConfig = SimilarConfig(),
                 *, cache_dir: str | Path | None = None, progress: ProgressCallback | None = None,
                 cancel: Cancel | None = None) -> None:
        self.model = model
        self.config = config
        self.layers: tuple[str, ...] = tuple(model_layers(model))
        self.atlas_data = dataset.subset("train")
        if len(self.atlas_data) == 0:
            raise DatasetError("the dataset has no training slices to compare with",
                               expected="a train split", actual=sorted(set(dataset.split.tolist())))
        self.atlas = build_atlas(model, self.atlas_data, self.layers, cache_dir=cache_dir,
                                 progress=progress, cancel=cancel)
        self.index = KnnIndex(self.atlas)
        self.calibration = self._calibrate(dataset.subset("val"), progress, cancel)
        self._explainers: dict[str, BilrpExplainer] = {}

    def _calibrate(self, val: SliceDataset, progress: ProgressCallback | None,
                   cancel: Cancel | None) -> DknnCalibration | None:
        if len(val) == 0:
            return None  # no calibration set: no credibility, the rest still works
        features = extract_features(self.model, val.images, self.layers, progress=progress, cancel=cancel)
        return calibrate(self.index, features, val.labels, list(val.case_ids), self.config.k)

    def check_layers(self, layers: Sequence[str] | None) -> list[str]:
        """``layers`` (None = all), each checked to be a feature layer."""
        if layers is None:
            return list(self.layers)
        unknown = [layer for layer in layers if layer not in self.layers]
        if unknown:
            raise InputError(f"not a feature layer: {', '.join(unknown)}",
                             expected=list(self.layers), actual=unknown)
        return list(layers)

    def neighbours(self, image: np.ndarray, case_id: str, *,
                   one_per_patient: bool = False) -> dict[str, list[Neighbour]]:
        """Per feature layer (all of them), the k nearest atlas slices of other patients.

        Parameters
        ----------
        image
            The query slice (C, H, W), preprocessed like the atlas.
        case_id
            The query's patient (never returned).
        one_per_patient
            Only each patient's nearest slice, k from further patients. The Deep k-NN
            calibration counts plain neighbours: give :meth:`credibility` those.
        """
        query = extract_features(self.model, image, self.layers)
        return {layer: self.index.query(layer, query[layer], [case_id], self.config.k,
                                        one_per_patient=one_per_patient)[0]
                for layer in self.layers}

    def credibility(self, neighbours: dict[str, list[Neighbour]]) -> DknnResult | None:
        """Deep k-NN verdict on a query (None without a validation split)."""
        return None if self.calibration is None else deep_knn(self.calibration, neighbours)

    def explainer(self, layer: str) -> BilrpExplainer:
        """The BiLRP explainer of ``layer`` (its atlas sides are cached by atlas row)."""
        if layer not in self._explainers:
            c = self.config
            self._explainers[layer] = BilrpExplainer(self.model, BilrpConfig(
                layer=layer, projection_dim=c.projection_dim, pool=c.pool, seed=c.seed,
                composite=c.composite))
        return self._explainers[layer]

    def explain(self, layer: str, query_side: torch.Tensor, neighbour: Neighbour) -> BilrpLines:
        """BiLRP line data between a query (its side at ``layer``) and one atlas neighbour."""
        explainer = self.explainer(layer)
        other = explainer.cached_side(("atlas", neighbour.row), self.atlas_data.images[neighbour.row])
        relevance = combine(query_side, other)
        size = tuple(self.atlas_data.images.shape[-2:])
        return strongest_pairs(relevance, self.config.pool, size, size,
                               top_n=self.config.top_n, threshold=self.config.threshold)


def _query_record(dataset: SliceDataset, row: int) -> dict[str, Any]:
    label = int(dataset.labels[row])
    return {"row": row, "case_id": str(dataset.case_ids[row]), "slice_index": int(dataset.slice_index[row]),
            "label": label, "grade": GRADES[label], "split": str(dataset.split[row])}


def _layer_report(sim: SimilarCases, dataset: SliceDataset, row: int, layer: str,
                  neighbours: list[Neighbour], out: Path, channel: int) -> dict[str, Any]:
    """Gallery and BiLRP PNGs of one layer; returns the layer's JSON record."""
    q = _query_record(dataset, row)
    safe = cache_file(out, layer).stem.removeprefix("atlas_")
    atlas = sim.atlas_data
    items = [GalleryItem(dataset.images[row], dataset.tumor_masks[row],
                         f"query {q['case_id']}\nz{q['slice_index']} {q['grade']}")]
    items += [GalleryItem(atlas.images[n.row], atlas.tumor_masks[n.row],
                          f"#{i + 1} {n.case_id}\nz{n.slice_index} {n.grade} d={n.distance:.3f}")
              for i, n in enumerate(neighbours)]
    gallery = render_gallery_png(out / f"gallery_{safe}.png", items, channel=channel,
                                 title=f"layer {layer}: the {len(neighbours)} nearest training slices "
                                       "(cosine distance d; the query's patient excluded)")
    query_side = sim.explainer(layer).side(dataset.images[row])
    records = []
    for i, n in enumerate(neighbours):
        lines = sim.explain(layer, query_side, n)
        png = render_bilrp_png(
            out / f"bilrp_{safe}_{i + 1:02d}_{n.case_id}_z{n.slice_index}.png",
            dataset.images[row], atlas.images[n.row], lines, tumor=dataset.tumor_masks[row],
            tumor_other=atlas.tumor_masks[n.row], channel=channel,
            title=f"BiLRP at {layer}: query vs neighbour #{i + 1} (cosine similarity "
                  f"{1 - n.distance:.3f}; sum of the BiLRP relevance {lines.total:.3f})",
            captions=(f"query {q['case_id']} z{q['slice_index']} ({q['grade']})",
                      f"#{i + 1} {n.case_id} z{n.slice_index} ({n.grade}), d={n.distance:.3f}"))
        records.append({**n.as_dict(), "rank": i + 1, "bilrp_png": png.name,
                        "similarity": lines.total, "bilrp_pairs": len(lines.segments)})
    return {"neighbours": records, "gallery_png": gallery.name}


def write_similar_report(sim: SimilarCases, dataset: SliceDataset, row: int, out_dir: str | Path,
                         layers: Sequence[str] | None = None, *, channel: int = -1,
                         progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Neighbours, Deep k-NN, gallery and BiLRP PNGs of one query slice, into ``out_dir``.

    Parameters
    ----------
    sim
        The similar-cases engine.
    dataset, row
        The query slice (any split of a dataset shaped like the atlas).
    out_dir
        Output folder (created): ``similar.json``, ``gallery_<layer>.png``,
        ``bilrp_<layer>_<rank>_<case>_z<slice>.png``.
    layers
        Layers to report (None = all feature layers).
    channel
        Channel drawn as the grey image.

    Returns
    -------
    dict
        The JSON written to ``similar.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chosen = sim.check_layers(layers)
    query = _query_record(dataset, row)
    neighbours = sim.neighbours(dataset.images[row], query["case_id"])
    verdict = sim.credibility(neighbours)
    report: dict[str, Any] = {
        "query": query, "k": sim.config.k, "atlas_slices": len(sim.atlas),
        "atlas_cases": int(np.unique(sim.atlas.case_ids).size),
        "bilrp": {"projection_dim": sim.config.projection_dim, "pool": sim.config.pool,
                  "composite": sim.config.composite, "seed": sim.config.seed,
                  "top_n": sim.config.top_n, "threshold": sim.config.threshold},
        "deep_knn": None if verdict is None else {
            **verdict.as_dict(), "predicted_grade": GRADES[verdict.prediction],
            "calibration": sim.calibration.as_dict() if sim.calibration else None},
        "layers": {},
    }
    for i, layer in enumerate(chosen):
        report["layers"][layer] = _layer_report(sim, dataset, row, layer, neighbours[layer], out, channel)
        if progress is not None:
            progress(i + 1, len(chosen), f"layer {layer}")
    atomic_write_text(out / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    return report
