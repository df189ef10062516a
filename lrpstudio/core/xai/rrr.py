"""Right for the Right Reasons (Ross, Hughes & Doshi-Velez, IJCAI 2017) as a guidance loss.

    loss_i = CE_i + rrr_weight * sum_{c,h,w} ( A_i * d(sum_k log p_k(x_i)) / dx_i )^2

with the annotation A_i = "outside the tumour" (every pixel not in the tumour mask): the
input gradient of the log-probabilities is penalised where the network should not look.
Slices whose tumour mask is empty are left out of the penalty (as in LRPLoss). The batch
loss is the mean of loss_i. Compared with LRPLoss it guides the plain gradient rather than
the LRP relevance, and pushes attention away from the outside instead of pulling
relevance into the tumour. An artefact region F_i (``forbidden_weight > 0``) is a second
annotation with its own weight: ``+ forbidden_weight * sum((F_i * grad_i)^2)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.xai import explicit
from lrpstudio.core.xai.composites import bounds_for, rule_chooser
from lrpstudio.core.xai.forbidden import as_forbidden, input_gradient_term, monitored_share
from lrpstudio.core.xai.guidance import GuidanceConfig, GuidanceResult, labels_of, step_parts, weighted_ce
from lrpstudio.core.xai.relevance import forward_with_relevance, output_seed
from lrpstudio.core.xai.score import tumor_lrp_score


def _outside(tumor_mask: Tensor, like: Tensor) -> tuple[Tensor, Tensor]:
    tumor = torch.as_tensor(tumor_mask, device=like.device)
    tumor = tumor > 0.5 if tumor.dtype.is_floating_point else tumor.bool()
    has = tumor.flatten(1).any(1)
    outside = (~tumor & has[:, None, None]).to(like.dtype)
    return outside[:, None], has


def rrr_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
             config: GuidanceConfig, weights: Tensor | None = None,
             forbidden: Tensor | None = None) -> GuidanceResult:
    """The RRR loss for one batch, with logits and (if monitored) TumorLRPScores of the same forward.

    With ``config.forbidden_weight > 0`` each slice's artefact region is a second
    annotation: ``forbidden_weight * sum((F_i * grad_i)^2)`` is added to its loss.
    """
    y = labels_of(y, x)
    x_in = x.detach().requires_grad_(True)
    tape = None
    # The penalty is itself a gradient: it needs autograd even when the caller disabled it.
    with torch.enable_grad():
        if explicit.supports(model):
            logits, tape = explicit.trace(model, x_in)
        else:
            logits = model(x_in)
        (grad,) = torch.autograd.grad(F.log_softmax(logits, dim=1).sum(), x_in, create_graph=True)
    ce = weighted_ce(logits, y, weights)
    outside, _ = _outside(tumor_mask, x)
    penalty = ((outside * grad) ** 2).sum((1, 2, 3))
    forbid = as_forbidden(forbidden, x, config.forbidden_weight)
    extra = torch.zeros_like(penalty) if forbid is None else \
        input_gradient_term(grad, forbid, config.forbidden_weight)
    loss = (ce + config.rrr_weight * penalty + extra).mean()
    scores = torch.full_like(ce.detach(), float("nan"))
    share = float("nan")
    if config.monitor_score:
        scores, rel = _monitor_scores(model, x, y, tumor_mask, brain_mask, config, tape, logits)
        share = monitored_share(rel, forbid)
    logged = {"rrr": float(penalty.detach().mean())}
    if forbid is not None:
        logged["forbidden"] = share
    return GuidanceResult(loss, logits.detach(), ce.detach(), scores,
                          step_parts(loss, ce.detach(), scores, **logged))


def _monitor_scores(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                    config: GuidanceConfig, tape: explicit.Tape | None,
                    logits: Tensor) -> tuple[Tensor, Tensor]:
    with torch.no_grad():
        if tape is not None:
            low, high = bounds_for(config.composite, x)
            seed = output_seed(y, logits.shape[1], logits.dtype, config.seed)
            rel = explicit.propagate(tape, seed, rule_chooser(config.composite, low, high))
        else:
            rel = forward_with_relevance(model, x, y, config.composite, seed=config.seed)[1]
        return tumor_lrp_score(rel, tumor_mask, brain_mask, config.normalized).detach(), rel.detach()


def rrr_loss(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
             weight: float = 1.0) -> tuple[Tensor, dict[str, float]]:
    """RRR loss ``(loss, parts)``; parts as in ``lrp_loss`` plus ``rrr`` (mean penalty).

    Parameters
    ----------
    model, x, y, tumor_mask, brain_mask
        As in :func:`lrpstudio.core.xai.losses.guidance_step`.
    weight
        The penalty weight (Ross et al.'s lambda_1).
    """
    config = GuidanceConfig(kind="rrr", rrr_weight=weight)
    result = rrr_step(model, x, y, tumor_mask, brain_mask, config)
    return result.loss, result.parts
