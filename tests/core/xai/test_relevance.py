"""Relevance of whole networks: the explicit engine and our zennit path equal zennit's own composites."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zennit.attribution import Gradient

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.models import build_model
from lrpstudio.core.xai.composites import COMPOSITES, input_bounds, zennit_composite
from lrpstudio.core.xai.relevance import relevance
from tests.core.xai.nets import batch, tiny_paper, tiny_vgg


def _stock_zennit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, name: str) -> torch.Tensor:
    """zennit's own rules (keep_graph=False), through zennit's Gradient attributor."""
    low, high = input_bounds(x)
    composite = zennit_composite(name, low.expand_as(x), high.expand_as(x), keep_graph=False)
    with Gradient(model=model, composite=composite) as attributor:
        out, rel = attributor(x.clone(), torch.eye(2, dtype=x.dtype)[y])
    return rel


def _vgg_without_bn_eps() -> nn.Module:
    # zennit's canonizer leaves each merged BatchNorm dividing by sqrt(1 + eps), which
    # shifts its values by ~eps/2 per layer; with eps below float64 resolution (1 + eps == 1;
    # some torch versions refuse eps = 0) both sides compute the same function.
    model = tiny_vgg(seed=5, size=32)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = 1e-30
    return model


@pytest.mark.parametrize("net", ["paper", "vgg"])
@pytest.mark.parametrize("name", COMPOSITES)
def test_engines_equal_zennit(name: str, net: str) -> None:
    model = tiny_paper(seed=5, size=32) if net == "paper" else _vgg_without_bn_eps()
    x, y, _, _ = batch(n=3, size=32, seed=7)
    expected = _stock_zennit(model, x, y, name)
    for engine in ("explicit", "zennit"):
        actual = relevance(model, x, y, name, engine=engine)
        torch.testing.assert_close(actual, expected, rtol=1e-8, atol=1e-12)
    assert expected.abs().sum() > 0


def test_vgg_with_bn_eps_is_within_zennits_own_shift() -> None:
    model = tiny_vgg(seed=5, size=32)
    x, y, _, _ = batch(n=3, size=32, seed=7)
    expected = _stock_zennit(model, x, y, "epsilon_plus_flat")
    actual = relevance(model, x, y)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-3 * float(expected.abs().max()))


def test_float32_paper_model_at_full_size_equals_zennit() -> None:
    torch.manual_seed(0)
    model = build_model("paper", image_size=64).eval()
    x = torch.randn(2, 3, 64, 64)
    y = torch.tensor([0, 1])
    expected = _stock_zennit(model, x, y, "epsilon_plus_flat")
    actual = relevance(model, x, y)
    assert actual.dtype == torch.float32 and actual.shape == x.shape
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-7 * float(expected.abs().max()))


def test_relevance_leaves_model_untouched_and_trainable() -> None:
    model = tiny_paper(seed=2)
    x, y, _, _ = batch()
    before = {name: (p, p.detach().clone()) for name, p in model.named_parameters()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    out_before = model(x).detach()
    for engine in ("explicit", "zennit"):
        rel = relevance(model, x, y, create_graph=True, engine=engine)
        assert rel.requires_grad
    after = dict(model.named_parameters())
    assert all(after[name] is p for name, (p, _) in before.items())
    assert all(torch.equal(after[name], v) for name, (_, v) in before.items())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    opt.zero_grad()
    rel.pow(2).sum().backward()
    opt.step()
    assert not torch.allclose(model(x), out_before)


def test_bad_input_and_names_raise() -> None:
    model = tiny_paper()
    x, y, _, _ = batch()
    with pytest.raises(ExplanationError, match="unknown LRP composite"):
        relevance(model, x, y, "lrp_magic")
    with pytest.raises(ExplanationError, match="one target per image"):
        relevance(model, x, y[:1])
    with pytest.raises(ExplanationError, match="explicit LRP engine"):
        relevance(nn.Sequential(nn.Conv2d(3, 2, 3), nn.Tanh(), nn.Flatten(), nn.LazyLinear(2)), x.float(),
                  y, engine="explicit")


def test_zennit_itself_is_not_patched() -> None:
    from zennit.composites import EpsilonPlusFlat
    from zennit.core import ParamMod

    ours = zennit_composite("epsilon_plus_flat", keep_graph=True)
    stock = EpsilonPlusFlat()
    ours_mods = [m for _, rule in ours.layer_map for m in getattr(rule, "param_modifiers", ())]
    stock_mods = [m for _, rule in stock.layer_map for m in getattr(rule, "param_modifiers", ())]
    assert ours_mods and all(type(m).__name__ == "GraphParamMod" for m in ours_mods)
    assert stock_mods and all(type(m) is not type(ours_mods[0]) for m in stock_mods)
    assert ParamMod.__call__.__module__ == "zennit.core"
