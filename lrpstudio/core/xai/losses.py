"""Explanation-guided losses: LRPLoss (paper eq. 2), RRR, and the selector the training engine calls.

The training engine builds one frozen :class:`GuidanceConfig` and calls, per batch::

    result = guidance_step(model, x, y, tumor_mask, brain_mask, config)
    result.loss.backward()          # after the call: no hooks are active any more
    optimizer.step()
    result.logits, result.scores    # detached, from the SAME forward: no recomputation
    result.parts                    # floats for logging: ce, score, guidance, total, ...

``guidance_loss(...) -> (loss, parts)`` and ``lrp_loss(...) -> (loss, parts)`` are the same
thing with the facade's return shape.

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

RRR (``kind="rrr"``, Ross et al. 2017): ``CE_i + rrr_weight * sum((dsum_k log p_k / dx)^2
outside the tumour)``, see :mod:`lrpstudio.core.xai.rrr`. ``kind="none"``: plain CE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.composites import DEFAULT_COMPOSITE, check_composite
from lrpstudio.core.xai.relevance import SEEDS, Engine, Seed, forward_with_relevance
from lrpstudio.core.xai.score import tumor_lrp_score

GuidanceKind = Literal["lrp", "rrr", "none"]
ScoreGradient = Literal["full", "detached"]
LossForm = Literal["ratio", "additive"]
GUIDANCE_KINDS: tuple[str, ...] = ("lrp", "rrr", "none")
LOSS_FORMS: tuple[str, ...] = ("ratio", "additive")
#: The default form, chosen by measurement (docs/experiment-results.md): on training data
#: with a grade shortcut outside the tumour, the paper's ratio CE / S**p (with class
#: weights and clipping) collapsed onto one class in 1 of 3 seeds (the network lowered
#: the loss by raising S and never learned the grades), while CE + p * (1 - S) learned
#: in every seed and kept the score high; the ratio stays available as form="ratio".
DEFAULT_FORM: LossForm = "additive"
ENGINES: tuple[str, ...] = ("auto", "explicit", "zennit")
MAX_PENALTY = 3.0


#: Default lower bound of S inside the ratio form (docs/method.md, trap 5). Under a
#: freshly initialised network 16 % of the demo training slices have S = 0 exactly (no
#: positive relevance reaches the input), so a clamp of 1e-6 gave them weights of 1e6**p
#: and epoch-1 losses of 1e4 (p=1) to 1e15 (p=3): training followed those slices only.
#: With 0.1 the weight is at most 10**p. Pass clamp=1e-6 for the literal variant.
DEFAULT_CLAMP = 0.1


@dataclass(frozen=True)
class GuidanceConfig:
    """How a training step is guided. Frozen; validated on creation.

    Attributes
    ----------
    kind
        ``"lrp"`` (LRPLoss), ``"rrr"`` (Right for the Right Reasons) or ``"none"`` (plain CE).
    penalty
        LRPLoss power p, 0 to 3, fractions allowed (0 = plain CE); the weight lambda
        of ``1 - S`` in the additive form.
    form
        ``"ratio"`` (the paper's CE / S**p) or ``"additive"`` (CE + p * (1 - S)).
    seed
        Relevance explained for S: ``"label"`` (the true-label logit, the paper) or
        ``"contrast"`` (the margin of the true label over the other class).
    composite
        LRP composite name (:data:`lrpstudio.core.xai.composites.COMPOSITES`).
    normalized
        Area-normalised TumorLRPScore.
    score_gradient
        ``"full"`` (through S) or ``"detached"`` (the authors' behaviour; ablation).
    clamp
        Lower bound of S inside the loss (default :data:`DEFAULT_CLAMP`). A slice's weight
        1/S**p is at most clamp**-p.
    rrr_weight
        Weight of the RRR input-gradient penalty.
    monitor_score
        Also compute the (detached) per-slice TumorLRPScore when the loss itself does not
        need it (``"none"``, ``"rrr"``, ``p = 0``); costs about one extra backward pass.
    engine
        LRP engine: ``"auto"`` (the explicit engine whenever the model allows it),
        ``"explicit"`` or ``"zennit"`` (hooks; slower, for comparison and other models).
    """

    kind: GuidanceKind = "lrp"
    penalty: float = 1.0
    form: LossForm = DEFAULT_FORM
    seed: Seed = "label"
    composite: str = DEFAULT_COMPOSITE
    normalized: bool = False
    score_gradient: ScoreGradient = "full"
    clamp: float = DEFAULT_CLAMP
    rrr_weight: float = 1.0
    monitor_score: bool = True
    engine: Engine = "auto"

    def __post_init__(self) -> None:
        if self.kind not in GUIDANCE_KINDS:
            raise ExplanationError("unknown guidance kind", expected=" or ".join(GUIDANCE_KINDS),
                                   actual=self.kind)
        if not (0.0 <= float(self.penalty) <= MAX_PENALTY) or math.isnan(float(self.penalty)):
            raise ExplanationError("penalty p out of range", expected=f"0 to {MAX_PENALTY}",
                                   actual=self.penalty)
        if self.form not in LOSS_FORMS:
            raise ExplanationError("unknown loss form", expected=" or ".join(LOSS_FORMS),
                                   actual=self.form)
        if self.seed not in SEEDS:
            raise ExplanationError("unknown relevance seed", expected=" or ".join(SEEDS),
                                   actual=self.seed)
        if self.score_gradient not in ("full", "detached"):
            raise ExplanationError("unknown score_gradient", expected="full or detached",
                                   actual=self.score_gradient)
        if not (0.0 < float(self.clamp) <= 1.0):
            raise ExplanationError("clamp out of range", expected="0 < clamp <= 1", actual=self.clamp)
        if not (float(self.rrr_weight) >= 0.0):
            raise ExplanationError("rrr_weight must not be negative", expected=">= 0",
                                   actual=self.rrr_weight)
        check_composite(self.composite)
        if self.engine not in ENGINES:
            raise ExplanationError("unknown LRP engine", expected=" or ".join(ENGINES), actual=self.engine)


@dataclass(frozen=True, eq=False)
class GuidanceResult:
    """Everything one guided step produced, from one forward pass.

    Attributes
    ----------
    loss
        Scalar loss with its graph; call ``loss.backward()``.
    logits
        ``(N, K)`` detached logits of the forward the loss used (dropout mask included).
    ce
        ``(N,)`` detached per-slice cross-entropy.
    scores
        ``(N,)`` detached TumorLRPScore (unclamped); NaN for slices without tumour or when
        not computed (``monitor_score=False``).
    parts
        Floats for logging: ``ce`` (mean CE), ``score`` (mean S over slices with a
        tumour, NaN if none), ``guidance`` (``total - ce``), ``total``, ``n_scored``.
    """

    loss: Tensor
    logits: Tensor
    ce: Tensor
    scores: Tensor
    parts: dict[str, float] = field(default_factory=dict)


def _parts(loss: Tensor, ce: Tensor, scores: Tensor, **extra: float) -> dict[str, float]:
    valid = scores[~torch.isnan(scores)]
    total = float(loss.detach())
    parts = {
        "ce": float(ce.mean()),
        "score": float(valid.mean()) if valid.numel() else float("nan"),
        "guidance": total - float(ce.mean()),
        "total": total,
        "n_scored": float(valid.numel()),
    }
    parts.update(extra)
    return parts


def _labels(y: Tensor, x: Tensor) -> Tensor:
    return torch.as_tensor(y, device=x.device).long().reshape(-1)


def weighted_ce(logits: Tensor, y: Tensor, weights: Tensor | None = None) -> Tensor:
    """Per-slice cross-entropy, times the slice's weight when ``weights`` is given."""
    ce = F.cross_entropy(logits, y, reduction="none")
    return ce if weights is None else ce * weights.to(ce.dtype)


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
             config: GuidanceConfig, weights: Tensor | None = None) -> GuidanceResult:
    """LRPLoss for one batch (see the module docstring); ``config.kind`` is not consulted."""
    y = _labels(y, x)
    p = float(config.penalty)
    in_graph = p > 0 and config.score_gradient == "full"
    if p == 0 and not config.monitor_score:
        logits = model(x)
        ce = weighted_ce(logits, y, weights)
        nan = torch.full_like(ce.detach(), float("nan"))
        loss = ce.mean()
        return GuidanceResult(loss, logits.detach(), ce.detach(), nan, _parts(loss, ce.detach(), nan))
    logits, rel = forward_with_relevance(model, x, y, config.composite, create_graph=in_graph,
                                         engine=config.engine, seed=config.seed)
    ce = weighted_ce(logits, y, weights)
    scores = tumor_lrp_score(rel, tumor_mask, brain_mask, config.normalized)
    # p = 0: exactly (weighted) plain CE, S is only monitored.
    loss = ce.mean() if p == 0 else _guided_loss(ce, scores, config, in_graph)
    det = scores.detach()
    return GuidanceResult(loss, logits.detach(), ce.detach(), det,
                          _parts(loss, ce.detach(), det, penalty=p))


def ce_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
            config: GuidanceConfig, weights: Tensor | None = None) -> GuidanceResult:
    """Plain cross-entropy; scores only when ``config.monitor_score`` (detached, same forward)."""
    y = _labels(y, x)
    if config.monitor_score:
        logits, rel = forward_with_relevance(model, x, y, config.composite, create_graph=False,
                                             engine=config.engine, seed=config.seed)
        scores = tumor_lrp_score(rel, tumor_mask, brain_mask, config.normalized)
    else:
        logits = model(x)
        scores = torch.full((x.shape[0],), float("nan"), dtype=logits.dtype, device=x.device)
    ce = weighted_ce(logits, y, weights)
    loss = ce.mean()
    return GuidanceResult(loss, logits.detach(), ce.detach(), scores, _parts(loss, ce.detach(), scores))


def guidance_step(model: nn.Module, x: Tensor, y: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                  config: GuidanceConfig | None = None,
                  weights: Tensor | None = None) -> GuidanceResult:
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

    Returns
    -------
    GuidanceResult
        Call ``result.loss.backward()`` yourself; nothing is left registered on the model
        and its Parameter objects are untouched, so an optimizer built before keeps working.
    """
    config = config or GuidanceConfig()
    if config.kind == "lrp":
        return lrp_step(model, x, y, tumor_mask, brain_mask, config, weights)
    if config.kind == "rrr":
        from lrpstudio.core.xai.rrr import rrr_step  # rrr imports this module's helpers

        return rrr_step(model, x, y, tumor_mask, brain_mask, config, weights)
    return ce_step(model, x, y, tumor_mask, brain_mask, config, weights)


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
