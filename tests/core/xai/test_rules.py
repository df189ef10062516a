"""Each explicit rule equals zennit's own rule on a single layer, for every input sign case."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zennit import rules as zr
from zennit.core import Composite

from lrpstudio.core.xai import rules as ours
from lrpstudio.core.xai.rules import AffineLayer


def _layer(kind: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(3)
    if kind == "conv":
        module = nn.Conv2d(3, 4, 3, padding=1, stride=1).double()
        x = torch.randn(2, 3, 7, 6, dtype=torch.float64)
    elif kind == "conv_strided":
        module = nn.Conv2d(3, 4, 3, padding=1, stride=2).double()
        x = torch.randn(2, 3, 8, 7, dtype=torch.float64)
    else:
        module = nn.Linear(6, 4).double()
        x = torch.randn(2, 6, dtype=torch.float64)
    return module, x


def _zennit(module: nn.Module, rule: object, x: torch.Tensor, r_out: torch.Tensor) -> torch.Tensor:
    composite = Composite(module_map=lambda ctx, name, m: rule if m is module else None)
    x = x.clone().requires_grad_(True)
    with composite.context(module):
        out = module(x)
        (r_in,) = torch.autograd.grad(out, x, r_out)
    return r_in


PAIRS = {
    "epsilon": (lambda lo, hi: ours.Epsilon(), lambda lo, hi: zr.Epsilon()),
    "zplus": (lambda lo, hi: ours.ZPlus(), lambda lo, hi: zr.ZPlus()),
    "alpha2beta1": (lambda lo, hi: ours.AlphaBeta(2.0, 1.0), lambda lo, hi: zr.AlphaBeta(2.0, 1.0)),
    "gamma": (lambda lo, hi: ours.Gamma(0.25), lambda lo, hi: zr.Gamma(0.25)),
    "zbox": (lambda lo, hi: ours.ZBox(lo, hi), lambda lo, hi: zr.ZBox(lo, hi)),
    "flat": (lambda lo, hi: ours.Flat(), lambda lo, hi: zr.Flat()),
}


@pytest.mark.parametrize("kind", ["conv", "conv_strided", "linear", "conv_nobias"])
@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_rule_equals_zennit(name: str, signed: bool, kind: str) -> None:
    module, x = _layer(kind.replace("_nobias", ""))
    with torch.no_grad():
        module.bias.uniform_(-0.3, 0.3)
    if kind.endswith("_nobias"):
        module.bias = None
    if not signed:
        x = x.abs()
    low = torch.full_like(x, float(x.min()))
    high = torch.full_like(x, float(x.max()))
    ours_rule, zennit_rule = PAIRS[name][0](low, high), PAIRS[name][1](low, high)
    z = module(x)
    r_out = torch.randn_like(z)
    expected = _zennit(module, zennit_rule, x, r_out)
    actual = ours_rule(AffineLayer(module, x, z, module.weight, module.bias), r_out)
    assert actual.shape == x.shape
    torch.testing.assert_close(actual, expected, rtol=1e-9, atol=1e-12)
    assert expected.abs().max() > 0  # the comparison is not between zeros
