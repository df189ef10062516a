"""Smooth random fields and soft masks of the demo phantom."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.data.demo.fields import lerp, smooth_field, soft_below, spline_matrix


@pytest.mark.parametrize("n_out, spacing", [(17, 3.0), (64, 5.5), (5, 1.0), (40, 0.7)])
def test_spline_matrix_rows_are_a_partition_of_unity(n_out: int, spacing: float) -> None:
    matrix = spline_matrix(n_out, spacing)
    assert matrix.shape[0] == n_out
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-5)
    assert (matrix >= 0).all()


def test_spline_matrix_matches_the_cubic_bspline_formula() -> None:
    # Reference: B3(t) = (4 - 6 t^2 + 3 |t|^3) / 6 for |t| < 1, (2 - |t|)^3 / 6 for 1 <= |t| < 2.
    spacing = 2.5
    matrix = spline_matrix(11, spacing).astype(np.float64)
    for i in range(11):
        for j in range(matrix.shape[1]):
            t = abs(i / spacing + 2 - j)
            ref = (4 - 6 * t * t + 3 * t ** 3) / 6 if t < 1 else ((2 - t) ** 3 / 6 if t < 2 else 0.0)
            assert matrix[i, j] == pytest.approx(ref, abs=1e-6)


def test_smooth_field_is_standardised_smooth_and_seeded() -> None:
    shape = (60, 50, 40)
    field = smooth_field(np.random.default_rng(3), shape, 4.0)
    assert field.shape == shape and field.dtype == np.float32
    assert abs(float(field.mean())) < 0.15
    assert 0.85 < float(field.std()) < 1.15
    # Smooth: neighbouring voxels are far more alike than the field's spread.
    step = np.abs(np.diff(field, axis=0)).mean()
    assert step < 0.35 * field.std()
    again = smooth_field(np.random.default_rng(3), shape, 4.0)
    np.testing.assert_array_equal(field, again)
    other = smooth_field(np.random.default_rng(4), shape, 4.0)
    assert not np.array_equal(field, other)


def test_soft_below_is_a_monotone_ramp() -> None:
    values = np.linspace(-1, 1, 201, dtype=np.float32)
    soft = soft_below(values, 0.2, 0.05)
    assert soft.dtype == np.float32
    assert soft[0] == 1.0 and soft[-1] == 0.0
    assert (np.diff(soft) <= 0).all()
    assert soft[120] == pytest.approx(0.5, abs=1e-6)  # value 0.2 is the threshold
    # the ramp is 4 * width wide: 0 and 1 are reached 2 widths either side
    assert soft[int(np.argmin(np.abs(values - 0.3)))] == pytest.approx(0.0, abs=1e-6)
    assert soft[int(np.argmin(np.abs(values - 0.1)))] == pytest.approx(1.0, abs=1e-6)


def test_lerp_blends_in_place() -> None:
    base = np.array([0.0, 1.0, 2.0], np.float32)
    out = lerp(base, 10.0, np.array([0.0, 0.5, 1.0], np.float32))
    assert out is base
    np.testing.assert_allclose(base, [0.0, 5.5, 10.0])
