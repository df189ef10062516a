"""TumorLRPScore against a slow reference, and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.score import positive_relevance, tumor_lrp_score


def _reference(rel: np.ndarray, tumor: np.ndarray, brain: np.ndarray, normalized: bool) -> list[float]:
    out = []
    for r, t, b in zip(rel, tumor, brain):
        if not t.any():
            out.append(float("nan"))
            continue
        inside = outside = 0.0
        for i in range(r.shape[1]):
            for j in range(r.shape[2]):
                value = sum(max(float(r[c, i, j]), 0.0) for c in range(r.shape[0]))
                if t[i, j]:
                    inside += value
                elif b[i, j]:
                    outside += value
        if normalized:
            inside /= max(t.sum(), 1)
            outside /= max((b & ~t).sum(), 1)
        out.append(inside / (inside + outside) if inside + outside > 0 else 0.0)
    return out


@pytest.mark.parametrize("normalized", [False, True])
def test_score_equals_reference(normalized: bool) -> None:
    rng = np.random.default_rng(4)
    rel = rng.normal(size=(4, 3, 9, 8))
    tumor = rng.random((4, 9, 8)) < 0.3
    brain = (rng.random((4, 9, 8)) < 0.8) | tumor
    tumor[2] = False
    rel[3] = -np.abs(rel[3])  # no positive relevance at all: score 0
    expected = _reference(rel, tumor, brain, normalized)
    actual = tumor_lrp_score(torch.from_numpy(rel), torch.from_numpy(tumor),
                             torch.from_numpy(brain.astype(np.float32)), normalized)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-12)
    values = actual.numpy()
    assert np.isnan(values[2]) and values[3] == 0 and 0 < values[0] < 1


def test_positive_part_is_taken_per_channel_before_the_sum() -> None:
    rel = torch.tensor([[[[1.0]], [[-3.0]], [[2.0]]]])
    assert positive_relevance(rel).item() == 3.0


def test_gradient_has_no_nan_with_empty_and_dead_slices() -> None:
    rel = torch.randn(3, 2, 5, 5, dtype=torch.float64)
    rel[1] = -rel[1].abs()
    rel.requires_grad_(True)
    tumor = torch.zeros(3, 5, 5, dtype=torch.bool)
    tumor[:2, 1:3, 1:3] = True
    brain = torch.ones(3, 5, 5, dtype=torch.bool)
    s = tumor_lrp_score(rel, tumor, brain)
    torch.nan_to_num(s).sum().backward()
    assert torch.isfinite(rel.grad).all() and rel.grad[0].abs().sum() > 0
    assert torch.isnan(s[2])


def test_mask_shape_mismatch_raises() -> None:
    with pytest.raises(ExplanationError, match="tumor_mask"):
        tumor_lrp_score(torch.ones(2, 3, 4, 4), torch.ones(2, 4, 5), torch.ones(2, 4, 4))
