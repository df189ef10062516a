"""Island removal and keep-largest against a BFS component reference."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.islands import keep_largest, remove_small_islands
from lrpstudio.core.editing.rules import WritePolicy

from .reference import components

SHAPE = (12, 10, 6)


def _seg() -> np.ndarray:
    rng = np.random.default_rng(8)
    return ((rng.random(SHAPE) < 0.35) * rng.integers(1, 3, SHAPE)).astype(np.uint8)


@pytest.mark.parametrize("connectivity", [1, 3])
@pytest.mark.parametrize("min_size", [2, 4])
def test_remove_small_islands(connectivity: int, min_size: int) -> None:
    seg = _seg()
    got = seg.copy()
    apply_change(got, remove_small_islands(seg, WritePolicy(active_label=1), min_size, connectivity))
    expected = seg.copy()
    for comp in components(seg == 1, connectivity):
        if len(comp) < min_size:
            for q in comp:
                expected[q] = 0
    np.testing.assert_array_equal(got, expected)
    assert (got != seg).any()


def test_keep_largest_in_guidance_mode() -> None:
    seg = _seg()
    got = seg.copy()
    apply_change(got, keep_largest(seg, WritePolicy(mode="guidance"), connectivity=1))
    comps = components(seg > 0, 1)
    largest = max(comps, key=len)
    expected = np.zeros_like(seg)
    for q in largest:
        expected[q] = seg[q]  # sub-labels of the kept component stay
    np.testing.assert_array_equal(got, expected)


def test_empty_layer_is_no_change() -> None:
    seg = np.zeros(SHAPE, np.uint8)
    assert remove_small_islands(seg, WritePolicy(active_label=3), 5).size == 0
    assert keep_largest(seg, WritePolicy(active_label=3)).size == 0
    with pytest.raises(ValueError):
        keep_largest(seg + 3, WritePolicy(active_label=3), connectivity=4)
