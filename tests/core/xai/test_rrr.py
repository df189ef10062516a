"""Right for the Right Reasons: the penalty against a direct computation, and its gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lrpstudio.core.xai.guidance import GuidanceConfig

from lrpstudio.core.xai.losses import guidance_step
from lrpstudio.core.xai.rrr import rrr_loss
from tests.core.xai.nets import batch, tiny_paper
from tests.core.xai.test_gradients import _assert_agree, _directional_errors


def test_rrr_matches_direct_computation() -> None:
    model = tiny_paper(seed=41)
    x, y, tumor, brain = batch(n=3)
    loss, parts = rrr_loss(model, x, y, tumor, brain, weight=3.0)
    xin = x.clone().requires_grad_(True)
    logits = model(xin)
    (g,) = torch.autograd.grad(F.log_softmax(logits, 1).sum(), xin)
    penalty = torch.stack([(g[i] ** 2 * (~tumor[i])).sum() for i in range(3)])
    penalty[2] = 0.0  # the slice without tumour is left out
    ce = F.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(loss, (ce + 3.0 * penalty).mean(), rtol=1e-10, atol=0)
    assert penalty[:2].min() > 0
    assert parts["rrr"] > 0 and parts["guidance"] > 0


def test_rrr_weight_zero_is_cross_entropy_and_scores_are_monitored() -> None:
    model = tiny_paper(seed=42)
    x, y, tumor, brain = batch(n=3)
    result = guidance_step(model, x, y, tumor, brain, GuidanceConfig(kind="rrr", rrr_weight=0.0))
    torch.testing.assert_close(result.loss, F.cross_entropy(model(x), y), rtol=1e-12, atol=0)
    assert torch.isfinite(result.scores[:2]).all() and torch.isnan(result.scores[2])


def test_rrr_gradient_matches_finite_differences() -> None:
    model = tiny_paper(seed=43)
    x, y, tumor, brain = batch(n=3)
    config = GuidanceConfig(kind="rrr", rrr_weight=50.0, monitor_score=False)
    _assert_agree(_directional_errors(
        model, lambda: guidance_step(model, x, y, tumor, brain, config).loss), still=0)
