"""Proof of exactness: autograd through the relevance equals central finite differences (float64).

For every composite and every parameter tensor of small paper-shaped (and VGG-BN-shaped)
networks, the directional derivative of the TumorLRPScore (and of LRPLoss) along a
random direction is compared with a central difference. Stock zennit fails this for the
same network (its rules use ``param.data``, docs/method.md, trap 1): that is checked too, so the
test demonstrably has teeth.
"""

from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn

from lrpstudio.core.xai.composites import COMPOSITES, zennit_composite
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_step
from lrpstudio.core.xai.relevance import forward_with_relevance, relevance
from lrpstudio.core.xai.score import tumor_lrp_score
from tests.core.xai.nets import batch, tiny_paper, tiny_vgg

H = 1e-7  # small: LRP-epsilon divides by z, and 1/z near 0 is strongly curved
RTOL = 1e-4


def _score_objective(model: nn.Module, composite: str, engine: str = "explicit",
                     normalized: bool = False) -> Callable[[], torch.Tensor]:
    x, y, tumor, brain = batch(n=3, size=16, seed=11)
    weights = torch.tensor([0.7, -1.3, 0.0], dtype=torch.float64)  # slice 3 has no tumour

    def objective() -> torch.Tensor:
        rel = relevance(model, x, y, composite, create_graph=True, engine=engine)
        s = tumor_lrp_score(rel, tumor, brain, normalized)
        return (torch.nan_to_num(s) * weights).sum()

    return objective


def _directional_errors(model: nn.Module, objective: Callable[[], torch.Tensor],
                        seed: int = 0) -> dict[str, tuple[float, float]]:
    """``name -> (autograd, finite difference)`` directional derivatives, per parameter tensor."""
    params = dict(model.named_parameters())
    g = torch.Generator().manual_seed(seed)
    directions = {n: torch.randn(p.shape, generator=g, dtype=p.dtype) for n, p in params.items()}
    model.zero_grad()
    objective().backward()
    result = {}
    for name, p in params.items():
        analytic = 0.0 if p.grad is None else float((p.grad * directions[name]).sum())
        with torch.no_grad():
            p.add_(H * directions[name])
            up = float(objective())
            p.sub_(2 * H * directions[name])
            down = float(objective())
            p.add_(H * directions[name])
        result[name] = (analytic, (up - down) / (2 * H))
    return result


def _assert_agree(results: dict[str, tuple[float, float]], still: int = 1) -> None:
    scale = max(abs(fd) for _, fd in results.values())
    assert scale > 1e-6, "the score does not depend on the parameters: vacuous check"
    # The absolute floor is the central difference's rounding noise (~1e-16 / H on O(1) values).
    bad = {n: v for n, v in results.items()
           if abs(v[0] - v[1]) > RTOL * max(abs(v[0]), abs(v[1])) + 1e-8 + 1e-9 * scale}
    assert not bad, f"autograd vs finite differences: {bad}"
    # Every tensor that matters is covered; ``still`` tensors may have no influence (the
    # output bias cancels out of S exactly; in train mode BatchNorm cancels conv biases).
    moving = [n for n, (ad, _) in results.items() if abs(ad) > 1e-12 * scale]
    assert len(moving) >= len(results) - still


def _assert_positive_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, tumor: torch.Tensor,
                            brain: torch.Tensor, config: GuidanceConfig, seed: int) -> None:
    # Precondition: a slice with S = 0 sits on the clamp, where the loss is flat in S and
    # ~1e6 x CE, which would make the comparison meaningless.
    torch.manual_seed(seed)
    scores = guidance_step(model, x, y, tumor, brain, config).scores
    scored = scores[~torch.isnan(scores)]
    assert len(scored) >= 2 and bool((scored > 0.01).all()), scores


@pytest.mark.parametrize("composite", COMPOSITES)
def test_score_gradient_paper_net(composite: str) -> None:
    model = tiny_paper(seed=21)
    _assert_agree(_directional_errors(model, _score_objective(model, composite)))


@pytest.mark.parametrize("composite", COMPOSITES)
def test_score_gradient_through_zennit_with_graph_keeping_rules(composite: str) -> None:
    model = tiny_paper(seed=22)
    _assert_agree(_directional_errors(model, _score_objective(model, composite, engine="zennit")))


@pytest.mark.parametrize("composite", ["epsilon_plus_flat", "epsilon_gamma_box", "epsilon_alpha2_beta1"])
def test_score_gradient_vgg_bn_eval(composite: str) -> None:
    model = tiny_vgg(seed=2)
    _assert_agree(_directional_errors(model, _score_objective(model, composite, normalized=True)))


def test_lrp_loss_gradient_in_train_mode_with_dropout_and_batchnorm() -> None:
    # Train mode: BatchNorm merges batch statistics, dropout masks are re-drawn from the same
    # seed at every evaluation, so the loss is a deterministic function of the parameters.
    model = tiny_vgg(seed=5).train()
    x, y, tumor, brain = batch(n=4, size=16, seed=12)
    config = GuidanceConfig(form="ratio", penalty=1.5, composite="epsilon_plus_flat")

    def objective() -> torch.Tensor:
        torch.manual_seed(99)
        return guidance_step(model, x, y, tumor, brain, config).loss

    _assert_positive_scores(model, x, y, tumor, brain, config, seed=99)
    _assert_agree(_directional_errors(model, objective), still=8)


def test_lrp_loss_gradient_with_dropout_mask() -> None:
    model = tiny_paper(seed=25, dropout=0.3).train()
    x, y, tumor, brain = batch(n=4, size=16, seed=13)
    config = GuidanceConfig(form="ratio", penalty=2.0, composite="epsilon_alpha2_beta1_flat", normalized=True)

    def objective() -> torch.Tensor:
        torch.manual_seed(7)
        return guidance_step(model, x, y, tumor, brain, config).loss

    _assert_positive_scores(model, x, y, tumor, brain, config, seed=7)
    _assert_agree(_directional_errors(model, objective))


def test_stock_zennit_gets_the_gradient_wrong() -> None:
    """Control: zennit's own rules (param.data) give a different, wrong gradient."""
    model = tiny_paper(seed=21)
    x, y, tumor, brain = batch(n=3, size=16, seed=11)

    def stock() -> torch.Tensor:
        composite = zennit_composite("epsilon_plus_flat", keep_graph=False)
        xin = x.clone().requires_grad_(True)
        with torch.enable_grad(), composite.context(model):
            out = model(xin)
            seed = torch.eye(2, dtype=x.dtype)[y].requires_grad_(True)
            (rel,) = torch.autograd.grad(out, xin, seed, create_graph=True)
        return torch.nan_to_num(tumor_lrp_score(rel, tumor, brain))[:2].sum()

    results = _directional_errors(model, stock)
    analytic, fd = results["out.weight"]
    assert analytic == 0.0 and abs(fd) > 1e-6  # trap 1: the last Linear gets no gradient


class _CustomBN(nn.Module):
    """Not a Sequential: the explicit engine declines it, so relevance goes through zennit."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.conv2, self.bn2 = nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.pool, self.relu = nn.MaxPool2d(2), nn.ReLU()
        self.fc = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.relu(self.bn1(self.conv1(x))))
        h = self.pool(self.relu(self.bn2(self.conv2(h))))
        return self.fc(h.flatten(1))


@pytest.mark.parametrize("composite", ["epsilon_plus_flat", "epsilon_gamma_box"])
def test_score_gradient_custom_batchnorm_model_through_zennit(composite: str) -> None:
    torch.manual_seed(26)
    model = _CustomBN().double()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.weight.uniform_(0.7, 1.3)
            bn.bias.uniform_(-0.05, 0.05)
            bn.running_mean.uniform_(-0.1, 0.1)
            bn.running_var.uniform_(0.05, 0.2)
    model.eval()
    params = {n: p for n, p in model.named_parameters()}
    _assert_agree(_directional_errors(model, _score_objective(model, composite, engine="auto")))
    assert {n: p for n, p in model.named_parameters()} == params  # same objects afterwards
    assert all(isinstance(b, torch.Tensor) for b in model.buffers())


@pytest.mark.parametrize("composite, engine", [(c, "explicit") for c in COMPOSITES]
                         + [("epsilon_plus_flat", "zennit")])
def test_contrast_seed_score_gradient(composite: str, engine: str) -> None:
    """S of the margin's relevance (seed="contrast") is exact for every composite and engine."""
    model = tiny_paper(seed=23)
    x, y, tumor, brain = batch(n=3, size=16, seed=11)
    weights = torch.tensor([0.7, -1.3, 0.0], dtype=torch.float64)

    def objective() -> torch.Tensor:
        _, rel = forward_with_relevance(model, x, y, composite, create_graph=True, engine=engine,
                                        seed="contrast")
        return (torch.nan_to_num(tumor_lrp_score(rel, tumor, brain)) * weights).sum()

    # The margin's seed (+1, -1) cancels what both logits share: the output bias and,
    # through the positive-only rules, a few biases have no influence on S.
    _assert_agree(_directional_errors(model, objective), still=3)


@pytest.mark.parametrize("seed", ["label", "contrast"])
def test_additive_loss_gradient_with_class_weights(seed: str) -> None:
    """CE * w + p * (1 - S), ISNet-style, is exact in train mode with dropout."""
    model = tiny_paper(seed=26, dropout=0.3).train()
    x, y, tumor, brain = batch(n=4, size=16, seed=14)
    config = GuidanceConfig(penalty=2.0, form="additive", seed=seed, composite="epsilon_plus_flat")
    weights = torch.tensor([0.5, 2.0, 1.0, 0.8], dtype=torch.float64)

    def objective() -> torch.Tensor:
        torch.manual_seed(3)
        return guidance_step(model, x, y, tumor, brain, config, weights).loss

    _assert_agree(_directional_errors(model, objective))
