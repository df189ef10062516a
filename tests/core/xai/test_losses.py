"""LRPLoss and the guidance selector: values against hand-made references, p = 0, clamp, detach."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_loss, guidance_step, lrp_loss
from lrpstudio.core.xai.relevance import relevance
from lrpstudio.core.xai.score import tumor_lrp_score
from tests.core.xai.nets import batch, tiny_paper


def _grads(model: torch.nn.Module, loss: torch.Tensor) -> list[torch.Tensor]:
    model.zero_grad()
    loss.backward()
    return [p.grad.clone() for p in model.parameters()]


def _reference_scores(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, tumor: torch.Tensor,
                      brain: torch.Tensor, composite: str = "epsilon_plus_flat",
                      normalized: bool = False) -> torch.Tensor:
    rel = relevance(model, x, y, composite, create_graph=True, engine="zennit")
    return tumor_lrp_score(rel, tumor, brain, normalized)


def test_p0_is_exactly_cross_entropy() -> None:
    model = tiny_paper(seed=31)
    x, y, tumor, brain = batch(n=4)
    expected = _grads(model, F.cross_entropy(model(x), y))
    result = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=0.0))
    actual = _grads(model, result.loss)
    assert all(torch.equal(a, e) for a, e in zip(actual, expected))
    assert result.parts["guidance"] == 0.0 and not math.isnan(result.parts["score"])


@pytest.mark.parametrize("penalty", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("normalized", [False, True])
def test_loss_value_matches_reference(penalty: float, normalized: bool) -> None:
    model = tiny_paper(seed=32)
    x, y, tumor, brain = batch(n=3)
    config = GuidanceConfig(form="ratio", penalty=penalty, normalized=normalized, clamp=1e-3)
    result = guidance_step(model, x, y, tumor, brain, config)
    s = _reference_scores(model, x, y, tumor, brain, normalized=normalized)
    ce = F.cross_entropy(model(x), y, reduction="none")
    s_val = s.detach()
    per_slice = [ce[i] / max(float(s_val[i]), 1e-3) ** penalty if not torch.isnan(s_val[i]) else ce[i]
                 for i in range(3)]
    expected = torch.stack(per_slice).mean()
    torch.testing.assert_close(result.loss, expected, rtol=1e-10, atol=0)
    torch.testing.assert_close(result.scores, s.detach(), rtol=1e-10, atol=0, equal_nan=True)
    assert math.isnan(float(result.scores[-1]))  # the empty-mask slice has no score
    assert result.parts["n_scored"] == 2.0
    assert result.parts["total"] == pytest.approx(float(expected.detach()))


def test_detached_score_only_rescales_the_step() -> None:
    model = tiny_paper(seed=33)
    x, y, tumor, brain = batch(n=3)
    full = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=2.0, clamp=1e-3))
    g_full = _grads(model, full.loss)
    det = guidance_step(model, x, y, tumor, brain,
                        GuidanceConfig(form="ratio", penalty=2.0, score_gradient="detached", clamp=1e-3))
    g_det = _grads(model, det.loss)
    torch.testing.assert_close(det.loss, full.loss, rtol=1e-12, atol=0)
    s = torch.nan_to_num(det.scores, nan=1.0).clamp(min=1e-3)
    expected = _grads(model, (F.cross_entropy(model(x), y, reduction="none") / s ** 2.0).mean())
    for a, e in zip(g_det, expected):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-14)
    assert any(not torch.allclose(a, b, rtol=1e-3) for a, b in zip(g_full, g_det))


def test_clamp_bounds_the_score() -> None:
    model = tiny_paper(seed=34)
    x, y, tumor, brain = batch(n=3)
    # clamp = 1: every S <= 1 is raised to 1, so the loss is plain CE, value and gradient.
    result = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=1.0, clamp=1.0))
    expected_loss = F.cross_entropy(model(x), y)
    expected = _grads(model, expected_loss)
    torch.testing.assert_close(result.loss, expected_loss, rtol=1e-12, atol=0)
    for a, e in zip(_grads(model, result.loss), expected):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-14)


def test_loss_gradients_are_finite_with_empty_and_zero_score_slices() -> None:
    model = tiny_paper(seed=35)
    x, y, tumor, brain = batch(n=4)
    brain[0] = tumor[0]  # nothing outside the tumour: S = 1
    result = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=1.0))
    grads = _grads(model, result.loss)
    assert all(torch.isfinite(g).all() for g in grads)
    assert float(result.scores[0]) == pytest.approx(1.0) or float(result.scores[0]) == 0.0


def test_results_come_from_one_forward_and_are_detached() -> None:
    model = tiny_paper(seed=36)
    x, y, tumor, brain = batch(n=3)
    result = guidance_step(model, x, y, tumor, brain)
    torch.testing.assert_close(result.logits, model(x).detach(), rtol=1e-12, atol=0)
    assert not result.logits.requires_grad and not result.scores.requires_grad
    assert result.loss.requires_grad and result.ce.shape == (3,)
    assert set(result.parts) >= {"ce", "score", "guidance", "total", "n_scored"}


def test_facades_return_loss_and_float_parts() -> None:
    model = tiny_paper(seed=37)
    x, y, tumor, brain = batch(n=3)
    loss, parts = lrp_loss(model, x, y, tumor, brain, penalty=1.0, composite="epsilon_plus")
    loss2, parts2 = guidance_loss(model, x, y, tumor, brain, GuidanceConfig(form="ratio", composite="epsilon_plus"))
    assert loss.requires_grad and all(isinstance(v, float) for v in parts.values())
    torch.testing.assert_close(loss, loss2)
    none_loss, none_parts = guidance_loss(model, x, y, tumor, brain,
                                          GuidanceConfig(kind="none", monitor_score=False))
    torch.testing.assert_close(none_loss, F.cross_entropy(model(x), y))
    assert math.isnan(none_parts["score"])


def test_optimizer_step_after_lrp_loss_changes_the_model_and_the_score() -> None:
    model = tiny_paper(seed=38)
    x, y, tumor, brain = batch(n=3)
    params = list(model.parameters())
    config = GuidanceConfig(form="ratio", penalty=1.0, clamp=0.05)
    before = guidance_step(model, x, y, tumor, brain, config)
    before.loss.backward()
    norm2 = sum(float((p.grad ** 2).sum()) for p in params)
    opt = torch.optim.SGD(params, lr=1e-4 / norm2 ** 0.5)  # a small step along -gradient
    opt.step()
    assert [p for p in model.parameters()] == params
    after = guidance_step(model, x, y, tumor, brain, config)
    assert not torch.allclose(after.logits, before.logits)
    assert float(after.loss.detach()) < float(before.loss.detach())


@pytest.mark.parametrize("kwargs", [
    {"kind": "gradcam"}, {"penalty": -0.5}, {"penalty": 3.5}, {"penalty": float("nan")},
    {"score_gradient": "half"}, {"clamp": 0.0}, {"rrr_weight": -1.0}, {"composite": "nope"},
])
def test_invalid_config_raises(kwargs: dict) -> None:
    with pytest.raises(ExplanationError):
        GuidanceConfig(**kwargs)


def test_zennit_engine_gives_the_same_loss_and_gradient() -> None:
    model = tiny_paper(seed=39)
    x, y, tumor, brain = batch(n=3)
    results = {}
    for engine in ("explicit", "zennit"):
        res = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=1.0, engine=engine))
        results[engine] = (res.loss.detach(), _grads(model, res.loss))
    torch.testing.assert_close(results["zennit"][0], results["explicit"][0], rtol=1e-10, atol=0)
    for a, e in zip(results["zennit"][1], results["explicit"][1]):
        torch.testing.assert_close(a, e, rtol=1e-8, atol=1e-12)
    # p = 0 through zennit: the CE backward runs after the hooks are gone (trap 3).
    res = guidance_step(model, x, y, tumor, brain, GuidanceConfig(form="ratio", penalty=0.0, engine="zennit"))
    expected = _grads(model, F.cross_entropy(model(x), y))
    for a, e in zip(_grads(model, res.loss), expected):
        torch.testing.assert_close(a, e, rtol=1e-12, atol=1e-15)


def test_float32_gradient_is_close_to_float64() -> None:
    model64 = tiny_paper(seed=40, size=32)
    model32 = tiny_paper(seed=40, size=32).float()
    x, y, tumor, brain = batch(n=3, size=32)
    config = GuidanceConfig(form="ratio", penalty=1.0, clamp=1e-2)
    g64 = _grads(model64, guidance_step(model64, x, y, tumor, brain, config).loss)
    g32 = _grads(model32, guidance_step(model32, x.float(), y, tumor, brain, config).loss)
    for a, e in zip(g32, g64):
        assert float((a.double() - e).norm()) <= 1e-3 * float(e.norm()) + 1e-6
