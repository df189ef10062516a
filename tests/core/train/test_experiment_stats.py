"""Experiment statistics against slow reference implementations (plain loops, scipy)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from lrpstudio.core.train.experiment_stats import (
    bootstrap_ci, mean_sd, paired_comparison, wilcoxon_p,
)


def _reference_bootstrap(values: list[float], resamples: int, confidence: float, seed: int,
                         ) -> tuple[float, float]:
    """One resample at a time, means by hand, quantiles by linear interpolation by hand."""
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(resamples):
        picks = rng.integers(0, len(values), size=len(values))
        means.append(sum(values[int(i)] for i in picks) / len(values))
    means.sort()

    def quantile(q: float) -> float:
        position = q * (len(means) - 1)
        below = int(math.floor(position))
        above = min(below + 1, len(means) - 1)
        return means[below] + (position - below) * (means[above] - means[below])

    tail = (1 - confidence) / 2
    return quantile(tail), quantile(1 - tail)


def test_mean_sd_matches_statistics_and_skips_missing_values() -> None:
    values = [0.71, 0.64, 0.8, 0.77, 0.69]
    mean, sd = mean_sd(values + [math.nan, None, math.inf])
    assert mean == pytest.approx(statistics.fmean(values))
    assert sd == pytest.approx(statistics.stdev(values))  # sample sd, ddof = 1


def test_mean_sd_of_one_or_no_value() -> None:
    mean, sd = mean_sd([0.5])
    assert mean == 0.5 and math.isnan(sd)
    assert all(math.isnan(v) for v in mean_sd([math.nan]))
    assert all(math.isnan(v) for v in mean_sd([]))


@pytest.mark.parametrize("seed", [0, 7])
def test_bootstrap_matches_a_plain_loop(seed: int) -> None:
    values = [0.12, -0.03, 0.05, 0.2, 0.0, 0.08, -0.1]
    expected = _reference_bootstrap(values, 2000, 0.95, seed)
    assert bootstrap_ci(values, 2000, 0.95, seed) == pytest.approx(expected, abs=1e-12)
    assert bootstrap_ci(values, 2000, 0.9, seed) == pytest.approx(
        _reference_bootstrap(values, 2000, 0.9, seed), abs=1e-12)


def test_bootstrap_agrees_with_scipy_and_is_reproducible() -> None:
    values = np.random.default_rng(3).normal(0.1, 0.05, 12)
    low, high = bootstrap_ci(values)
    ref = stats.bootstrap((values,), np.mean, n_resamples=10_000, method="percentile",
                          random_state=np.random.default_rng(11)).confidence_interval
    # Two different random streams: the intervals agree up to Monte-Carlo error.
    assert low == pytest.approx(ref.low, abs=0.005) and high == pytest.approx(ref.high, abs=0.005)
    assert low < values.mean() < high
    assert bootstrap_ci(values) == (low, high)  # fixed generator


def test_bootstrap_edge_cases() -> None:
    assert bootstrap_ci([0.3]) == (0.3, 0.3)
    assert bootstrap_ci([0.2, 0.2, 0.2]) == pytest.approx((0.2, 0.2))
    assert all(math.isnan(v) for v in bootstrap_ci([]))
    with pytest.raises(ValueError):
        bootstrap_ci([1.0], resamples=0)


def test_wilcoxon_matches_scipy_and_refuses_degenerate_input() -> None:
    differences = [0.1, 0.2, -0.05, 0.15, 0.3, 0.02]
    p, note = wilcoxon_p(differences)
    assert p == pytest.approx(stats.wilcoxon(differences).pvalue) and note is None
    p, note = wilcoxon_p([0.1])
    assert math.isnan(p) and "too few" in note
    p, note = wilcoxon_p([0.0, 0.0, 0.0])
    assert math.isnan(p) and "all differences are 0" in note


def test_paired_comparison_uses_matched_pairs() -> None:
    control = [0.60, 0.55, 0.70, 0.65, math.nan]
    treated = [0.70, 0.60, 0.72, 0.75, 0.80]
    result = paired_comparison(treated, control)
    differences = [0.10, 0.05, 0.02, 0.10]  # the pair with NaN is left out
    assert result.n == 4
    assert result.mean_difference == pytest.approx(statistics.fmean(differences))
    assert (result.ci_low, result.ci_high) == pytest.approx(bootstrap_ci(np.asarray(treated[:4]) -
                                                                         np.asarray(control[:4])))
    assert result.p_value == pytest.approx(stats.wilcoxon(differences).pvalue)
    assert "1 pair(s) without a value" in result.note
    # Swapping the arms flips the sign of the difference.
    assert paired_comparison(control, treated).mean_difference == pytest.approx(-result.mean_difference)


def test_paired_comparison_of_identical_arms_and_of_one_pair() -> None:
    same = paired_comparison([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same.mean_difference == 0 and math.isnan(same.p_value) and "all differences" in same.note
    one = paired_comparison([0.8], [0.6])
    assert one.n == 1 and one.mean_difference == pytest.approx(0.2)
    assert (one.ci_low, one.ci_high) == pytest.approx((0.2, 0.2)) and math.isnan(one.p_value)
    with pytest.raises(ValueError):
        paired_comparison([0.1, 0.2], [0.1])
