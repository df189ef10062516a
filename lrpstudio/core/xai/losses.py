"""Explanation-guided losses: LRPLoss (paper eq. 2), RRR, and the selector the training engine calls.

The training engine builds one frozen :class:`GuidanceConfig` and calls, per batch::

    result = guidance_step(model, x, y, tumor_mask, brain_mask, config)
    result.loss.backward()          # after the call: no hooks are active any more
    optimizer.step()
    result.logits, result.scores    # detached, from the SAME forward: no recomputation
    result.parts                    # floats for logging: ce, score, guidance, total, ...

``guidance_loss(...) -> (loss, parts)`` and ``lrp_loss(...) -> (loss, parts)`` are the same
thing with the facade's return shape. The configuration and result types are in
:mod:`lrpstudio.core.xai.guidance`.

LRPLoss (``kind="lrp"``), per slice i with a non-empty tumour mask::

    S_i    = TumorLRPScore of the relevance for the true label y_i (composite by name)
    loss_i = CE_i / max(S_i, clamp) ** p

Slices without tumour keep ``loss_i = CE_i``; the batch loss is the mean over all slices.

The additive form (``form="additive"``, ISNet-style) is ``loss_i = CE_i + p * (1 - S_i)``
with ``p`` as the weight lambda: raising S can no longer pay for a worse classification,
because the CE term is never scaled down. ``seed="contrast"`` computes S from the
relevance of the margin ``z_y - z_other`` instead of the true-label logit (see
:func:`lrpstudio.core.xai.relevance.output_seed`). ``weights`` (per slice, e.g. inverse
class frequencies) scale each slice's CE term in every form.
``score_gradient="full"`` differentiates through S (lrpstudio's method: the gradient moves
relevance into the tumour); ``"detached"`` treats S as a constant, as the authors' code
did (it only rescales the CE step) - offered as an ablation. ``p = 0`` is exactly plain CE.

Forbidden regions (``config.forbidden_weight > 0``, a ``forbidden`` mask per slice):
every kind adds ``forbidden_weight * share_i``, the share of positive relevance inside
slice i's artefact region, from the same differentiable relevance (for RRR, an input-
gradient penalty on the region instead); see :mod:`lrpstudio.core.xai.forbidden`.

RRR (``kind="rrr"``, Ross et al. 2017): ``CE_i + rrr_weight * sum((dsum_k log p_k / dx)^2
outside the tumour)``, see :mod:`lrpstudio.core.xai.rrr`. ``kind="none"``: plain CE.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lrpstudio.core.xai.composites import DEFAULT_COMPOSITE
from lrpstudio.core.xai.forbidden import as_forbidden, forbidden_term
from lrpstudio.core.xai.guidance import (DEFAULT_CLAMP, GuidanceConfig, GuidanceResult, LossForm,
                                         ScoreGradient, labels_of, step_parts, weighted_ce)
from lrpstudio.core.xai.relevance import forward_with_relevance
from lrpstudio.core.xai.rrr import rrr_step
from lrpstudio.core.xai.score import tumor_lrp_score

def _guided_loss(ce_w: Tensor, scores: Tensor, config: GuidanceConfig, in_graph: bool) -> Tensor:
    """Mean of the per-slice guided loss (ratio or additive form) over the batch."""
    p = float(config.penalty)
    has = ~torch.isnan(scores)
    s = scores if in_graph else scores.detach()
    s = torch.where(has, s, torch.ones_like(s))  # no tumour: no guidance term
    if config.form == "additive":
        return (ce_w + p * (1.0 - s)).mean()
    return (ce_w / s.clamp(min=config.clamp) ** p).mean()


def lrp_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
             config: GuidanceConfig, weights: Tensor | None = None,
             forbidden: Tensor | None = None) -> GuidanceResult:
    """LRPLoss for one batch (see the module docstring); ``config.kind`` is not consulted."""
    y = labels_of(y, x)
    p = float(config.penalty)
    in_graph = p > 0 and config.score_gradient == "full"
    forbid = as_forbidden(forbidden, x, config.forbidden_weight)
    if p == 0 and not config.monitor_score and forbid is None:
        logits = model(x)
        ce = weighted_ce(logits, y, weights)
        nan = torch.full_like(ce.detach(), float("nan"))
        loss = ce.mean()
        return GuidanceResult(loss, logits.detach(), ce.detach(), nan, step_parts(loss, ce.detach(), nan))
    # The forbidden term needs the relevance's graph even when S does not (p = 0, detached S).
    graph = in_graph or (forbid is not None and config.score_gradient == "full")
    logits, rel = forward_with_relevance(model, x, y, config.composite, create_graph=graph,
                                         engine=config.engine, seed=config.seed)
    ce = weighted_ce(logits, y, weights)
    scores = tumor_lrp_score(rel, tumor_mask, brain_mask, config.normalized)
    # p = 0: exactly (weighted) plain CE, S is only monitored.
    loss = ce.mean() if p == 0 else _guided_loss(ce, scores, config, in_graph)
    loss, extra = _with_forbidden(loss, rel, forbid, config)
    det = scores.detach()
    return GuidanceResult(loss, logits.detach(), ce.detach(), det,
                          step_parts(loss, ce.detach(), det, penalty=p, **extra))


def _with_forbidden(loss: Tensor, rel: Tensor, forbid: Tensor | None,
                    config: GuidanceConfig) -> tuple[Tensor, dict[str, float]]:
    """``loss`` plus the forbidden-region term, and the mean share for the logs."""
    if forbid is None:
        return loss, {}
    term, share = forbidden_term(rel if config.score_gradient == "full" else rel.detach(), forbid,
                                 config.forbidden_weight)
    return loss + term, {"forbidden": share}


def ce_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
            config: GuidanceConfig, weights: Tensor | None = None,
            forbidden: Tensor | None = None) -> GuidanceResult:
    """Plain cross-entropy; scores only when ``config.monitor_score`` (detached, same forward).

    With a forbidden-region term (``config.forbidden_weight > 0`` and a slice with a region)
    the relevance is computed with its graph and the term added to the CE.
    """
    y = labels_of(y, x)
    forbid = as_forbidden(forbidden, x, config.forbidden_weight)
    extra: dict[str, float] = {}
    if config.monitor_score or forbid is not None:
        graph = forbid is not None and config.score_gradient == "full"
        logits, rel = forward_with_relevance(model, x, y, config.composite, create_graph=graph,
                                             engine=config.engine, seed=config.seed)
        scores = tumor_lrp_score(rel, tumor_mask, brain_mask, config.normalized).detach()
    else:
        logits = model(x)
        scores = torch.full((x.shape[0],), float("nan"), dtype=logits.dtype, device=x.device)
    ce = weighted_ce(logits, y, weights)
    loss = ce.mean()
    if forbid is not None:
        loss, extra = _with_forbidden(loss, rel, forbid, config)
    return GuidanceResult(loss, logits.detach(), ce.detach(), scores,
                          step_parts(loss, ce.detach(), scores, **extra))


def guidance_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                  config: GuidanceConfig | None = None,
                  weights: Tensor | None = None,
                  forbidden: Tensor | None = None) -> GuidanceResult:
    """One guided training step's loss, logits and scores from a single forward pass.

    Parameters
    ----------
    model
        The network in the mode of the step (``train()`` for training: dropout's mask is
        the one the score sees, BatchNorm uses batch statistics).
    x
        ``(N, C, H, W)`` float images.
    y
        ``(N,)`` int64 true labels (the LRP seed).
    tumor_mask, brain_mask
        ``(N, H, W)`` bool or float; the brain mask includes the tumour.
    config
        The guidance (default: LRPLoss, p = 1, epsilon_plus_flat).
    weights
        ``(N,)`` per-slice weights of the CE term (class balance), or None.
    forbidden
        ``(N, H, W)`` bool artefact regions, used when ``config.forbidden_weight > 0``
        (:mod:`lrpstudio.core.xai.forbidden`), or None.

    Returns
    -------
    GuidanceResult
        Call ``result.loss.backward()`` yourself; nothing is left registered on the model
        and its Parameter objects are untouched, so an optimizer built before keeps working.
    """
    config = config or GuidanceConfig()
    if config.kind == "lrp":
        return lrp_step(model, x, y, tumor_mask, brain_mask, config, weights, forbidden)
    if config.kind == "rrr":
        return rrr_step(model, x, y, tumor_mask, brain_mask, config, weights, forbidden)
    return ce_step(model, x, y, tumor_mask, brain_mask, config, weights, forbidden)


def guidance_loss(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                  config: GuidanceConfig | None = None) -> tuple[Tensor, dict[str, float]]:
    """:func:`guidance_step` with the facade's return shape: ``(loss, parts)``."""
    result = guidance_step(model, x, y, tumor_mask, brain_mask, config)
    return result.loss, result.parts


def lrp_loss(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
             penalty: float = 1.0, composite: str = DEFAULT_COMPOSITE,
             score_gradient: ScoreGradient = "full", normalized: bool = False,
             clamp: float = DEFAULT_CLAMP, form: LossForm = "ratio") -> tuple[Tensor, dict[str, float]]:
    """LRPLoss = CE / max(TumorLRPScore, clamp) ** penalty (paper eq. 2), per slice, averaged.

    ``form="additive"`` gives CE + penalty * (1 - S) instead (the training default).

    Parameters
    ----------
    model, x, y, tumor_mask, brain_mask
        As in :func:`guidance_step`.
    penalty
        p in [0, 3]; 0 gives exactly the cross-entropy (and its gradient).
    composite
        LRP composite name.
    score_gradient
        ``"full"`` or ``"detached"`` (ablation: the authors' behaviour).
    normalized, clamp
        Area-normalised score; lower bound of S in the loss.

    Returns
    -------
    loss, parts
        Scalar loss with graph; floats ``ce``, ``score``, ``guidance``, ``total``,
        ``n_scored``, ``penalty``. For logits and per-slice scores of the same forward use
        :func:`guidance_step`.
    """
    config = GuidanceConfig(kind="lrp", penalty=penalty, composite=composite, normalized=normalized,
                            score_gradient=score_gradient, clamp=clamp, form=form)
    return guidance_loss(model, x, y, tumor_mask, brain_mask, config)
