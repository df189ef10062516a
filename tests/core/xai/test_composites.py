"""The composite registry: one table for the loss, the heatmaps, the scores and BiLRP."""

from __future__ import annotations

import pytest
import torch
from zennit.attribution import Gradient

from lrpstudio.core.errors import ExplanationError, InputError
from lrpstudio.core.xai import explicit
from lrpstudio.core.xai.composites import (BILRP_COMPOSITES, BILRP_STABILIZER, COMPOSITES,
                                           DEFAULT_BILRP_COMPOSITE, DEFAULT_COMPOSITE, REGISTRY,
                                           bilrp_composite, bilrp_rules, bounds_for,
                                           check_bilrp_composite, check_composite, input_bounds)
from tests.core.xai.nets import tiny_paper


def test_the_names_offered_come_from_the_one_table() -> None:
    assert COMPOSITES == ("epsilon_plus_flat", "epsilon_plus", "epsilon_alpha2_beta1_flat",
                          "epsilon_alpha2_beta1", "epsilon_gamma_box", "epsilon")
    assert BILRP_COMPOSITES == ("gamma_epsilon", "epsilon", "epsilon_plus_flat")
    assert DEFAULT_COMPOSITE in COMPOSITES and BILRP_COMPOSITES[0] == DEFAULT_BILRP_COMPOSITE
    assert set(COMPOSITES) | set(BILRP_COMPOSITES) == set(REGISTRY)
    assert [name for name, e in REGISTRY.items() if e.flat] == ["epsilon_plus_flat",
                                                                "epsilon_alpha2_beta1_flat"]
    assert [name for name, e in REGISTRY.items() if e.needs_bounds] == ["epsilon_gamma_box"]
    # BiLRP's own rule sets use the tiny stabiliser; the shared one keeps zennit's.
    assert REGISTRY["gamma_epsilon"].bilrp_stabilizer == BILRP_STABILIZER
    assert REGISTRY["epsilon"].bilrp_stabilizer == BILRP_STABILIZER
    assert REGISTRY["epsilon_plus_flat"].bilrp_stabilizer == 1e-6


def test_unknown_names_are_typed_errors_naming_the_choices() -> None:
    with pytest.raises(ExplanationError) as error:
        check_composite("gamma_epsilon")  # a BiLRP rule set, not offered for the loss
    assert error.value.actual == "gamma_epsilon" and "epsilon_plus_flat" in error.value.expected
    with pytest.raises(InputError) as bilrp_error:
        check_bilrp_composite("epsilon_plus")
    assert bilrp_error.value.expected == BILRP_COMPOSITES
    with pytest.raises(InputError):
        bilrp_rules("nope")
    with pytest.raises(InputError):
        bilrp_composite("nope")


def test_bounds_only_for_the_box_composite() -> None:
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float64).reshape(2, 3, 4, 4)
    assert bounds_for("epsilon_plus_flat", x) == (None, None)
    low, high = bounds_for("epsilon_gamma_box", x)
    ref_low, ref_high = input_bounds(x)
    assert torch.equal(low, ref_low) and torch.equal(high, ref_high) and low.shape == (2, 3, 1, 1)


@pytest.mark.parametrize("name", BILRP_COMPOSITES)
def test_bilrp_rule_sets_give_the_same_relevance_on_both_engines(name: str) -> None:
    model = tiny_paper(seed=3)
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    seed = torch.zeros(2, 2, dtype=torch.float64)
    seed[:, 1] = 1.0
    logits, tape = explicit.trace(model, x)
    ours = explicit.propagate(tape, seed * logits.detach(), bilrp_rules(name))
    with Gradient(model=model, composite=bilrp_composite(name)) as attributor:
        _, reference = attributor(x, lambda out: seed * out)
    torch.testing.assert_close(ours, reference, rtol=1e-7, atol=1e-9)
