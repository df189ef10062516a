"""The "add to mask" extension: grows over connected similar tissue, not over the rest."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.errors import InputError
from lrpstudio.core.review.suggest import extend_over_similar_tissue


def _plane() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    intensity = 100 + rng.normal(0, 3, (40, 40))          # healthy tissue around 100
    intensity[10:30, 5:20] = 200 + rng.normal(0, 3, (20, 15))   # the missed oedema, bright
    intensity[10:30, 30:35] = 200 + rng.normal(0, 3, (20, 5))   # bright too, but not touching
    allowed = np.ones((40, 40), bool)
    allowed[:, 20:22] = False                               # the mask's edge: not allowed
    component = np.zeros((40, 40), bool)
    component[15:20, 8:12] = True                           # relevance on part of the oedema
    return component, intensity, allowed


def test_it_covers_the_connected_similar_tissue_and_nothing_else() -> None:
    component, intensity, allowed = _plane()
    grown = extend_over_similar_tissue(component, intensity, allowed)
    oedema = np.zeros_like(component)
    oedema[10:30, 5:20] = True
    assert grown[component].all()
    # Most of the missed tissue (white noise puts a fifth of its voxels outside the 10-90 %
    # range; the enclosed ones are filled, some on the rim stay out). The component alone: 7 %.
    assert (grown & oedema).sum() >= 0.6 * oedema.sum()
    assert not grown[:, 30:35].any()                       # similar but not connected
    assert not (grown & ~oedema).any()                     # no healthy tissue


def test_it_never_grows_where_it_is_not_allowed_and_handles_an_empty_start() -> None:
    component, intensity, allowed = _plane()
    allowed[15:20, 8:10] = False
    grown = extend_over_similar_tissue(component, intensity, allowed)
    assert not (grown & ~allowed).any()
    assert not extend_over_similar_tissue(np.zeros_like(component), intensity, allowed).any()
    with pytest.raises(InputError):
        extend_over_similar_tissue(component, intensity[:5], allowed)
