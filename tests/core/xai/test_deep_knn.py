"""Deep k-NN against a slow reference (Papernot & McDaniel 2018), zero scores kept."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.errors import InputError
from lrpstudio.core.xai.deep_knn import calibrate, deep_knn, nonconformity, p_values
from lrpstudio.core.xai.knn import Atlas, KnnIndex


def slow_neighbour_labels(feats: dict, labels: np.ndarray, cases: np.ndarray, q: dict,
                          q_case: str, k: int) -> list[list[int]]:
    """Per layer, the labels of the k cosine-nearest rows of other patients (float64 loops)."""
    out = []
    for layer, f in feats.items():
        dist = []
        for i in range(len(f)):
            a, b = f[i].astype(np.float64), q[layer].astype(np.float64)
            dist.append(1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        order = [i for i in np.argsort(dist, kind="stable") if cases[i] != q_case][:k]
        out.append([int(labels[i]) for i in order])
    return out


def slow_alpha(neighbour_labels: list[list[int]], j: int) -> int:
    return sum(1 for layer in neighbour_labels for label in layer if label != j)


def slow_p(scores: list[int], alpha: int) -> float:
    return sum(1 for s in scores if s >= alpha) / len(scores)


def world(seed: int = 0):
    """Two layers; class 1 is shifted so that neighbourhoods carry label information."""
    rng = np.random.default_rng(seed)
    n, m = 80, 30
    labels = rng.integers(0, 2, n)
    cases = np.array([f"t{i // 4}" for i in range(n)])
    feats = {"l1": rng.normal(size=(n, 6)) + 1.2 * labels[:, None],
             "l2": rng.normal(size=(n, 4)) - 0.8 * labels[:, None]}
    cal_labels = rng.integers(0, 2, m)
    cal_cases = np.array([f"v{i // 3}" for i in range(m)])
    cal = {"l1": rng.normal(size=(m, 6)) + 1.2 * cal_labels[:, None],
           "l2": rng.normal(size=(m, 4)) - 0.8 * cal_labels[:, None]}
    atlas = Atlas(features={k: v.astype(np.float32) for k, v in feats.items()}, case_ids=cases,
                  slice_index=np.arange(n), labels=labels)
    return atlas, feats, labels, cases, cal, cal_labels, cal_cases


def test_matches_the_slow_reference() -> None:
    atlas, feats, labels, cases, cal, cal_labels, cal_cases = world()
    k = 5
    calibration = calibrate(KnnIndex(atlas), {name: v.astype(np.float32) for name, v in cal.items()},
                            cal_labels, list(cal_cases), k)
    ref_scores = []
    for i in range(len(cal_labels)):
        nl = slow_neighbour_labels(feats, labels, cases, {name: v[i] for name, v in cal.items()}, cal_cases[i], k)
        ref_scores.append(slow_alpha(nl, int(cal_labels[i])))
    assert calibration.scores.tolist() == ref_scores
    assert 0 in ref_scores  # zero-nonconformity points exist here, and are kept
    rng = np.random.default_rng(5)
    index = KnnIndex(atlas)
    for t in range(6):
        q = {"l1": rng.normal(size=6) + 1.2 * (t % 2), "l2": rng.normal(size=4) - 0.8 * (t % 2)}
        neighbours = {name: index.query(name, q[name][None], ["new"], k)[0] for name in ("l1", "l2")}
        result = deep_knn(calibration, neighbours)
        nl = slow_neighbour_labels(feats, labels, cases, q, "new", k)
        alphas = [slow_alpha(nl, j) for j in (0, 1)]
        p = [slow_p(ref_scores, a) for a in alphas]
        assert result.nonconformity.tolist() == alphas
        np.testing.assert_allclose(result.p_values, p)
        best = int(np.argmax(p))
        assert result.prediction == best
        assert result.credibility == pytest.approx(p[best])
        assert result.confidence == pytest.approx(1 - p[1 - best])


def test_zero_scores_are_kept() -> None:
    scores = np.array([0, 0, 0, 1, 2, 4])
    # 3 of 6 scores are >= 1; dropping the zeros (the reference code) would say 3 of 3
    assert p_values(scores, np.array([1]))[0] == pytest.approx(0.5)
    assert p_values(scores, np.array([0]))[0] == pytest.approx(1.0)
    assert p_values(scores, np.array([5]))[0] == 0.0
    with pytest.raises(InputError):
        p_values(np.array([]), np.array([1]))


def test_nonconformity_counts_other_labels_over_layers() -> None:
    got = nonconformity([np.array([0, 1, 1]), np.array([1, 1]), np.array([], np.int64)], 2)
    assert got.tolist() == [4, 1]
    assert nonconformity([], 2).tolist() == [0, 0]


def test_missing_layer_is_an_error() -> None:
    atlas, _, _, _, cal, cal_labels, cal_cases = world()
    index = KnnIndex(atlas)
    calibration = calibrate(index, cal, cal_labels, list(cal_cases), 3)
    with pytest.raises(InputError):
        deep_knn(calibration, {"l1": index.query("l1", cal["l1"][:1], ["x"], 3)[0]})
