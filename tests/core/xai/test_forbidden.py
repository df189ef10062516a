"""The forbidden-region (artefact) term: exact gradients, no effect without regions, all kinds."""

from __future__ import annotations

import math

import pytest
import torch

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.forbidden import forbidden_share
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_step
from lrpstudio.core.xai.score import positive_relevance
from tests.core.xai.nets import batch, tiny_paper
from tests.core.xai.test_gradients import _assert_agree, _directional_errors

SIZE = 16


def _forbidden(n: int = 3) -> torch.Tensor:
    mask = torch.zeros(n, SIZE, SIZE, dtype=torch.bool)
    mask[0, 1:6, 9:15] = True  # slice 0: a region outside its tumour; slice 1: none
    if n > 2:
        mask[2, 10:14, 2:7] = True  # slice 2 (no tumour) has one too
    return mask


def test_share_is_the_positive_relevance_inside_the_region() -> None:
    rel = torch.zeros(2, 2, 4, 4, dtype=torch.float64)
    rel[0, 0, 0, 0], rel[0, 1, 0, 0], rel[0, 0, 3, 3], rel[0, 1, 2, 2] = 3.0, -1.0, 1.0, -5.0
    rel[1, 0, 1, 1] = 2.0
    mask = torch.zeros(2, 4, 4, dtype=torch.bool)
    mask[0, 0, 0] = True
    share, has = forbidden_share(rel, mask)
    assert has.tolist() == [True, False]
    assert share.tolist() == [pytest.approx(3.0 / 4.0), 0.0]
    # No positive relevance at all: share 0 and a finite (zero) gradient.
    flat = torch.zeros(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    value, _ = forbidden_share(-flat.abs() - 1.0, mask[:1])
    value.sum().backward()
    assert float(value.detach()) == 0.0 and flat.grad is not None and torch.isfinite(flat.grad).all()


@pytest.mark.parametrize("kind, penalty", [("lrp", 0.0), ("lrp", 1.0), ("none", 0.0)])
def test_gradient_of_the_loss_with_the_term_matches_finite_differences(kind: str, penalty: float) -> None:
    model = tiny_paper(seed=3, size=SIZE)
    x, y, tumor, brain = batch(n=3, size=SIZE, seed=11)
    forbidden = _forbidden()
    config = GuidanceConfig(kind=kind, penalty=penalty, forbidden_weight=2.0,  # type: ignore[arg-type]
                            composite="epsilon_plus_flat", engine="explicit", clamp=1e-3)

    def term_only() -> torch.Tensor:
        with_term = guidance_step(model, x, y, tumor, brain, config, forbidden=forbidden).loss
        without = guidance_step(model, x, y, tumor, brain,
                                GuidanceConfig(**{**config.__dict__, "forbidden_weight": 0.0})).loss
        return with_term - without  # exactly the forbidden term, with its graph

    results = _directional_errors(model, term_only)
    _assert_agree(results, still=2)  # the output layer's bias and one more may not matter
    step = guidance_step(model, x, y, tumor, brain, config, forbidden=forbidden)
    rel_share = step.parts["forbidden"]
    assert 0.0 < rel_share < 1.0 and math.isfinite(step.parts["total"])


def test_no_region_means_no_term_and_no_gradient() -> None:
    model = tiny_paper(seed=3, size=SIZE)
    x, y, tumor, brain = batch(n=3, size=SIZE, seed=11)
    config = GuidanceConfig(kind="lrp", penalty=1.0, forbidden_weight=5.0, engine="explicit")
    plain = GuidanceConfig(kind="lrp", penalty=1.0, engine="explicit")
    empty = torch.zeros(3, SIZE, SIZE, dtype=torch.bool)
    grads = []
    for cfg, mask in ((config, empty), (config, None), (plain, _forbidden())):
        model.zero_grad()
        result = guidance_step(model, x, y, tumor, brain, cfg, forbidden=mask)
        result.loss.backward()
        assert "forbidden" not in result.parts
        grads.append([p.grad.clone() for p in model.parameters() if p.grad is not None])
    for other in grads[1:]:
        assert all(torch.equal(a, b) for a, b in zip(grads[0], other))


def _share_after_training(weight: float, steps: int = 15) -> tuple[float, float]:
    model = tiny_paper(seed=3, size=SIZE)
    x, y, tumor, brain = batch(n=3, size=SIZE, seed=11)
    forbidden = _forbidden()
    config = GuidanceConfig(kind="none", forbidden_weight=weight, engine="explicit")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        guidance_step(model, x, y, tumor, brain, config, forbidden=forbidden).loss.backward()
        optimizer.step()
    final = guidance_step(model, x, y, tumor, brain, GuidanceConfig(kind="none", forbidden_weight=1.0,
                                                                    engine="explicit"),
                          forbidden=forbidden)
    return final.parts["forbidden"], float(final.ce.mean())


def test_the_term_lowers_the_share_under_gradient_descent() -> None:
    """The same descent with and without the term: only the term moves relevance out of the region."""
    without, _ = _share_after_training(0.0, steps=40)
    with_term, _ = _share_after_training(10.0, steps=40)
    assert with_term < 0.5 * without  # measured: 0.0016 against 0.066


def test_rrr_uses_the_region_as_a_second_annotation() -> None:
    model = tiny_paper(seed=3, size=SIZE)
    x, y, tumor, brain = batch(n=3, size=SIZE, seed=11)
    forbidden = _forbidden()
    base = GuidanceConfig(kind="rrr", rrr_weight=1.0, engine="explicit")
    with_region = GuidanceConfig(kind="rrr", rrr_weight=1.0, forbidden_weight=3.0, engine="explicit")
    x_in = x.clone().requires_grad_(True)
    logp = torch.log_softmax(model(x_in), dim=1).sum()
    (grad,) = torch.autograd.grad(logp, x_in)
    expected = 3.0 * ((forbidden[:, None].to(grad.dtype) * grad) ** 2).sum((1, 2, 3)).mean()
    a = guidance_step(model, x, y, tumor, brain, base, forbidden=forbidden)
    b = guidance_step(model, x, y, tumor, brain, with_region, forbidden=forbidden)
    assert float((b.loss - a.loss).detach()) == pytest.approx(float(expected), rel=1e-9)
    assert 0.0 < b.parts["forbidden"] < 1.0  # monitored from the (detached) relevance


def test_weight_is_validated_and_shapes_checked() -> None:
    with pytest.raises(ExplanationError):
        GuidanceConfig(forbidden_weight=-1.0)
    with pytest.raises(ExplanationError):
        GuidanceConfig(forbidden_weight=float("nan"))
    model = tiny_paper(seed=3, size=SIZE)
    x, y, tumor, brain = batch(n=3, size=SIZE, seed=11)
    with pytest.raises(ExplanationError, match="one value per pixel"):
        guidance_step(model, x, y, tumor, brain, GuidanceConfig(forbidden_weight=1.0),
                      forbidden=torch.ones(3, 4, 4, dtype=torch.bool))
    assert positive_relevance(torch.ones(1, 2, 3, 3)).shape == (1, 3, 3)
