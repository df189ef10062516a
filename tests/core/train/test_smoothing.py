"""Debiased EMA against a slow reference loop."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.train.smoothing import debiased_ema


def reference(values: list[float], weight: float) -> list[float]:
    """TensorBoard-style debiased EMA, one point at a time, NaN skipped."""
    out, m, n = [], 0.0, 0
    for v in values:
        if not np.isfinite(v):
            out.append(float("nan"))
            continue
        n += 1
        m = weight * m + (1 - weight) * v
        out.append(m / (1 - weight ** n))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.9, 0.999])
def test_matches_reference(weight: float) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(2.0, 1.0, 500)
    values[[3, 77, 400]] = np.nan
    got = debiased_ema(values, weight)
    want = np.asarray(reference(values.tolist(), weight))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-12)


def test_starts_at_first_value_and_constant_stays_constant() -> None:
    values = np.full(50, 3.5)
    np.testing.assert_allclose(debiased_ema(values, 0.95), values, rtol=1e-12)
    assert debiased_ema(np.array([7.0, 1.0]), 0.9)[0] == pytest.approx(7.0)


def test_empty_and_bad_weight() -> None:
    assert debiased_ema(np.array([]), 0.5).size == 0
    assert np.isnan(debiased_ema(np.array([np.nan, np.inf]), 0.5)).all()
    with pytest.raises(ValueError):
        debiased_ema(np.array([1.0]), 1.0)
