"""SimilarCases without a run folder: no validation split, layer checks, GUI line data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import DatasetError, InputError
from lrpstudio.core.models import build_model
from lrpstudio.core.xai.features import extract_features
from lrpstudio.core.xai.similar import SimilarCases, SimilarConfig


def dataset(splits: list[str], size: int = 32) -> SliceDataset:
    rng = np.random.default_rng(0)
    n = len(splits) * 2
    return SliceDataset(
        images=rng.normal(size=(n, 3, size, size)).astype(np.float32),
        tumor_masks=np.zeros((n, size, size), bool), brain_masks=np.ones((n, size, size), bool),
        labels=np.arange(n) % 2, case_ids=np.repeat([f"p{i}" for i in range(len(splits))], 2),
        slice_index=np.tile([3, 4], len(splits)), split=np.repeat(splits, 2))


def test_without_validation_there_is_no_credibility_but_neighbours_and_lines() -> None:
    torch.manual_seed(0)
    model = build_model("paper", image_size=32)
    data = dataset(["train"] * 4 + ["test"])
    sim = SimilarCases(model, data, SimilarConfig(k=2, projection_dim=5, pool=8))
    assert sim.calibration is None
    neighbours = sim.neighbours(data.images[-1], "p4")
    assert set(neighbours) == set(sim.layers) and all(len(v) == 2 for v in neighbours.values())
    assert sim.credibility(neighbours) is None
    side = sim.explainer("block3").side(data.images[-1])
    lines = sim.explain("block3", side, neighbours["block3"][0])
    assert lines.shape == (32, 32) and lines.pool == 8
    record = lines.as_dict()
    assert all(0 < s["strength"] <= 1 for s in record["segments"])
    with pytest.raises(InputError):
        sim.check_layers(["block9"])


def test_no_training_split_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError):
        SimilarCases(build_model("paper", image_size=32), dataset(["val", "test"]))


def test_one_slice_per_patient_keeps_each_patients_best_slice_and_fills_k() -> None:
    # Four near-copy slices per patient: the plain k-NN fills k with one patient's slices.
    rng = np.random.default_rng(1)
    base = rng.normal(size=(7, 3, 32, 32)).astype(np.float32)
    images = np.repeat(base, 4, axis=0) + 0.01 * rng.normal(size=(28, 3, 32, 32)).astype(np.float32)
    data = SliceDataset(
        images=images, tumor_masks=np.zeros((28, 32, 32), bool), brain_masks=np.ones((28, 32, 32), bool),
        labels=np.repeat(np.arange(7) % 2, 4), case_ids=np.repeat([f"p{i}" for i in range(7)], 4),
        slice_index=np.tile(np.arange(4), 7), split=np.array(["train"] * 24 + ["test"] * 4))
    torch.manual_seed(0)
    sim = SimilarCases(build_model("paper", image_size=32), data, SimilarConfig(k=4))
    query = data.images[-1]
    plain = sim.neighbours(query, "p6")
    distinct = sim.neighbours(query, "p6", one_per_patient=True)
    assert any(len({n.case_id for n in ns}) < 4 for ns in plain.values()), "the data must repeat patients"
    for layer, ns in distinct.items():
        cases = [n.case_id for n in ns]
        assert len(ns) == 4 and len(set(cases)) == 4 and "p6" not in cases
        dist = sim.index.distances(layer, extract_features(sim.model, query, [layer])[layer])[0]
        best = {c: float(dist[sim.atlas.case_ids == c].min()) for c in np.unique(sim.atlas.case_ids)}
        expected = sorted(best, key=lambda c: best[c])[:4]
        assert cases == expected, "each patient's nearest slice, patients nearest first"
        assert [n.distance for n in ns] == pytest.approx([best[c] for c in expected], abs=1e-6)
        assert ns[0] == plain[layer][0]
