"""Debiased exponential moving average for training curves.

A plain EMA started at 0 is biased towards 0 for the first points; dividing by
``1 - w**n`` (Adam's bias correction, what TensorBoard's smoothing slider does)
removes that bias, so the smoothed curve starts at the first value. Non-finite values
(e.g. a score of a batch without tumour) are skipped: they neither update the average
nor count towards the correction, and their output is NaN.
"""

from __future__ import annotations

import numpy as np
# Imported with the module, not at the first redraw: a first import of scipy.signal
# inside a GUI timer stalled the event loop for seconds.
from scipy.signal import lfilter


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Smooth a series with a bias-corrected exponential moving average.

    Parameters
    ----------
    values
        1D series (any float dtype); NaN/inf entries are skipped.
    weight
        Smoothing weight in [0, 1): 0 returns the values unchanged, values near 1
        smooth strongly.

    Returns
    -------
    np.ndarray
        float64 array of the same length; NaN where the input was not finite.

    Raises
    ------
    ValueError
        ``weight`` outside [0, 1).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    x = values[finite]
    if x.size == 0:
        return out
    out[finite] = _ema_loop(x, weight)
    return out


def _ema_loop(x: np.ndarray, weight: float) -> np.ndarray:
    """The recursion itself: O(n), exact, fast enough for curves of 1e6 points."""
    if weight == 0.0:
        return x.copy()
    # lfilter runs m_n = w m_{n-1} + (1 - w) x_n in C; the correction is 1 - w^n.
    m = lfilter([1.0 - weight], [1.0, -weight], x)
    n = np.arange(1, x.size + 1, dtype=np.float64)
    return m / -np.expm1(n * np.log(weight))
