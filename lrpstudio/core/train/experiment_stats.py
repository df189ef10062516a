"""Statistics of an experiment over seeds and folds: mean ± sd, paired comparisons.

Pure functions of numbers (numpy and scipy only). A value that is not finite (a class
without slices in a test split has no mean score) is left out of a summary, and a pair
with such a value is left out of a comparison; the results say how many remained.

The paired comparison of a penalty against plain cross-entropy (p = 0) uses runs that
share seed and fold, i.e. the same initial weights, data order and test patients, so
the difference measures the loss and not the luck of the draw:

- the mean difference (treated minus control),
- a percentile bootstrap 95 % confidence interval of that mean (resampling the pairs
  with a fixed generator, so the same numbers give the same interval),
- the two-sided Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon``; pairs with a
  zero difference are dropped, its default).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from scipy import stats

#: Bootstrap resamples of a paired comparison.
BOOTSTRAP_RESAMPLES = 10_000
#: Seed of the bootstrap's generator: the same differences always give the same interval.
BOOTSTRAP_SEED = 0
#: Coverage of the bootstrap interval.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedComparison:
    """One metric of a penalty against the control over matched runs.

    Attributes
    ----------
    n
        Pairs used (both values finite).
    mean_difference
        Mean of treated minus control (NaN without pairs).
    ci_low, ci_high
        Percentile bootstrap confidence interval of the mean difference.
    p_value
        Two-sided Wilcoxon signed-rank p-value; NaN when it cannot be computed.
    note
        Why a number is missing or what was left out, in words; None when nothing was.
    """

    n: int
    mean_difference: float
    ci_low: float
    ci_high: float
    p_value: float
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


def finite_values(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """The finite entries of ``values`` as float64 (None counts as missing)."""
    array = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    return array[np.isfinite(array)]


def mean_sd(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1) of the finite values.

    Parameters
    ----------
    values
        One metric over runs; NaN, inf and None are left out.

    Returns
    -------
    tuple of float
        ``(mean, sd)``; the mean is NaN without a finite value, the sd is NaN with
        fewer than two (one run says nothing about the spread).
    """
    kept = finite_values(values)
    if kept.size == 0:
        return math.nan, math.nan
    sd = float(kept.std(ddof=1)) if kept.size >= 2 else math.nan
    return float(kept.mean()), sd


def bootstrap_ci(values: Sequence[float] | np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES,
                 confidence: float = CONFIDENCE, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean.

    Each resample draws ``n`` values with replacement (``Generator.integers`` from
    ``numpy.random.default_rng(seed)``, one row of indices per resample); the interval
    is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (linear
    interpolation) of the resampled means.

    Parameters
    ----------
    values
        Finite numbers, e.g. paired differences.
    resamples
        Number of resamples (>= 1).
    confidence
        Coverage, in (0, 1).
    seed
        Seed of the generator.

    Returns
    -------
    tuple of float
        ``(low, high)``; NaN, NaN without values.
    """
    data = np.asarray(values, dtype=np.float64)
    if resamples < 1 or not 0.0 < confidence < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < confidence < 1, got {resamples}, {confidence}")
    if data.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    # All index rows at once: the same stream as drawing them one resample at a time.
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def wilcoxon_p(differences: Sequence[float] | np.ndarray) -> tuple[float, str | None]:
    """Two-sided Wilcoxon signed-rank p-value of paired differences, with a note.

    Returns
    -------
    tuple
        ``(p, note)``: p is NaN (and the note says why) with fewer than two pairs or
        when every difference is 0; otherwise the note is None.
    """
    data = np.asarray(differences, dtype=np.float64)
    if data.size < 2:
        return math.nan, f"{data.size} pair(s): too few for a Wilcoxon test"
    if np.all(data == 0):
        return math.nan, "all differences are 0: no Wilcoxon test"
    with warnings.catch_warnings():
        # Few pairs or ties make scipy warn about its approximation; the p-value stands.
        warnings.simplefilter("ignore", category=UserWarning)
        result = stats.wilcoxon(data)
    return float(result.pvalue), None


def paired_comparison(treated: Sequence[float] | np.ndarray, control: Sequence[float] | np.ndarray,
                      resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                      ) -> PairedComparison:
    """Compare matched values: mean difference, bootstrap CI, Wilcoxon p-value.

    Parameters
    ----------
    treated, control
        One value per pair, same order and length (e.g. balanced accuracy of p = 1
        and of p = 0 for each (seed, fold)); None or non-finite values drop their pair.
    resamples, seed
        Passed to :func:`bootstrap_ci`.

    Returns
    -------
    PairedComparison
        Differences are ``treated - control``.
    """
    a = np.asarray([np.nan if v is None else v for v in treated], dtype=np.float64)
    b = np.asarray([np.nan if v is None else v for v in control], dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"treated and control need one value per pair, got {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    differences = a[keep] - b[keep]
    notes = [f"{int((~keep).sum())} pair(s) without a value left out"] if not keep.all() else []
    p_value, why = wilcoxon_p(differences)
    if why:
        notes.append(why)
    low, high = bootstrap_ci(differences, resamples, seed=seed)
    mean = float(differences.mean()) if differences.size else math.nan
    return PairedComparison(n=int(differences.size), mean_difference=mean, ci_low=low, ci_high=high,
                            p_value=p_value, note="; ".join(notes) or None)
