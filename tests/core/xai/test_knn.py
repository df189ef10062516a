"""Per-layer cosine k-NN: brute-force reference, patient exclusion, atlas cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import InputError
from lrpstudio.core.models import build_model
from lrpstudio.core.xai.knn import (Atlas, KnnIndex, build_atlas, cache_file, find_similar,
                                    model_fingerprint)


def random_atlas(n: int = 60, d: int = 12, n_cases: int = 9, seed: int = 0) -> Atlas:
    rng = np.random.default_rng(seed)
    cases = np.array([f"c{i % n_cases}" for i in range(n)])
    return Atlas(features={"a": rng.normal(size=(n, d)).astype(np.float32),
                           "b": rng.normal(size=(n, 3)).astype(np.float32)},
                 case_ids=cases, slice_index=np.arange(n), labels=rng.integers(0, 2, n))


def brute_force(atlas: Atlas, layer: str, q: np.ndarray, case: str, k: int) -> list[int]:
    f = atlas.features[layer].astype(np.float64)
    dist = 1 - (f @ q) / (np.linalg.norm(f, axis=1) * np.linalg.norm(q))
    order = [int(i) for i in np.argsort(dist, kind="stable") if atlas.case_ids[i] != case]
    return order[:k]


@pytest.mark.parametrize("layer", ["a", "b"])
def test_matches_brute_force_and_never_returns_the_own_patient(layer: str) -> None:
    atlas = random_atlas()
    index = KnnIndex(atlas)
    rng = np.random.default_rng(1)
    queries = rng.normal(size=(8, atlas.features[layer].shape[1]))
    cases = [f"c{i % 9}" for i in range(8)]
    result = index.query(layer, queries, cases, k=5)
    for q, case, neighbours in zip(queries, cases, result):
        assert len(neighbours) == 5
        assert all(n.case_id != case for n in neighbours)
        assert [n.row for n in neighbours] == brute_force(atlas, layer, q, case, 5)
        f = atlas.features[layer][[n.row for n in neighbours]].astype(np.float64)
        cos = 1 - (f @ q) / (np.linalg.norm(f, axis=1) * np.linalg.norm(q))
        np.testing.assert_allclose([n.distance for n in neighbours], cos, atol=1e-5)
        assert all(a.distance <= b.distance for a, b in zip(neighbours, neighbours[1:]))


def test_agrees_with_scikit_learn_cosine() -> None:
    from sklearn.neighbors import NearestNeighbors

    atlas = random_atlas(n=200, d=30, n_cases=200)  # one slice per patient: nothing to exclude
    rng = np.random.default_rng(3)
    queries = rng.normal(size=(5, 30))
    reference = NearestNeighbors(metric="cosine", algorithm="brute").fit(atlas.features["a"])
    dist, idx = reference.kneighbors(queries, n_neighbors=7)
    ours = KnnIndex(atlas).query("a", queries, ["none"] * 5, k=7)
    for q in range(5):
        assert [n.row for n in ours[q]] == idx[q].tolist()
        np.testing.assert_allclose([n.distance for n in ours[q]], dist[q], atol=1e-5)


def test_a_patient_filling_the_neighbourhood_is_skipped() -> None:
    # The query's patient owns the 20 closest slices; k others must still come back.
    rng = np.random.default_rng(2)
    base = rng.normal(size=8)
    own = base + 0.01 * rng.normal(size=(20, 8))
    others = rng.normal(size=(10, 8))
    atlas = Atlas(features={"l": np.vstack([own, others]).astype(np.float32)},
                  case_ids=np.array(["me"] * 20 + [f"o{i}" for i in range(10)]),
                  slice_index=np.arange(30), labels=np.zeros(30, np.int64))
    got = KnnIndex(atlas).query("l", base[None], ["me"], k=4)[0]
    assert len(got) == 4 and all(n.case_id != "me" for n in got)
    # an atlas with fewer other slices than k returns what there is
    assert len(KnnIndex(atlas).query("l", base[None], ["me"], k=15)[0]) == 10


def test_errors_and_grades() -> None:
    atlas = random_atlas()
    index = KnnIndex(atlas)
    with pytest.raises(InputError):
        index.query("zzz", np.zeros((1, 3)), ["c0"], 2)
    with pytest.raises(InputError):
        index.query("b", np.ones((1, 3)), ["c0"], 0)
    n = index.query("b", np.ones((1, 3)), ["c0"], 1)[0][0]
    assert n.grade == ("HGG" if n.label == 1 else "LGG")
    assert set(n.as_dict()) >= {"case_id", "slice_index", "grade", "distance"}


def tiny_dataset(n_cases: int = 6, per_case: int = 3, size: int = 32, seed: int = 0) -> SliceDataset:
    rng = np.random.default_rng(seed)
    n = n_cases * per_case
    return SliceDataset(
        images=rng.normal(size=(n, 3, size, size)).astype(np.float32),
        tumor_masks=np.zeros((n, size, size), bool), brain_masks=np.ones((n, size, size), bool),
        labels=np.repeat(np.arange(n_cases) % 2, per_case).astype(np.int64),
        case_ids=np.repeat([f"p{i}" for i in range(n_cases)], per_case),
        slice_index=np.tile(np.arange(per_case), n_cases).astype(np.int64),
        split=np.array(["train"] * n))


def test_atlas_cache_is_reused_and_rebuilt_when_the_model_changes(tmp_path) -> None:
    torch.manual_seed(0)
    model = build_model("paper", image_size=32)
    data = tiny_dataset()
    layers = ["block2", "dense"]
    first = build_atlas(model, data, layers, cache_dir=tmp_path)
    files = [cache_file(tmp_path, layer) for layer in layers]
    stamps = [f.stat().st_mtime_ns for f in files]
    again = build_atlas(model, data, layers, cache_dir=tmp_path)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # read, not rewritten
    for layer in layers:
        np.testing.assert_array_equal(first.features[layer], again.features[layer])
    with torch.no_grad():
        model.dense.linear.weight.mul_(-1.0)
    changed = build_atlas(model, data, layers, cache_dir=tmp_path)
    assert changed.model_key == model_fingerprint(model) != first.model_key
    with np.load(files[1]) as npz:
        assert str(npz["model_key"]) == changed.model_key
    assert not np.allclose(changed.features["dense"], first.features["dense"])
    files[0].write_bytes(b"not an npz")  # a broken cache is rebuilt, not an error
    rebuilt = build_atlas(model, data, layers, cache_dir=tmp_path)
    np.testing.assert_array_equal(rebuilt.features["block2"], changed.features["block2"])


def test_find_similar_per_layer() -> None:
    torch.manual_seed(1)
    model = build_model("paper", image_size=32)
    data = tiny_dataset()
    index = KnnIndex(build_atlas(model, data, ["block1", "block4"]))
    out = find_similar(model, index, data.images[4], "p1", k=3)
    assert list(out) == ["block1", "block4"]
    assert all(len(v) == 3 and all(n.case_id != "p1" for n in v) for v in out.values())
