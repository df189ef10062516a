"""What a guided training step is configured with and what it returns.

:class:`GuidanceConfig` (frozen, validated) chooses the loss: LRPLoss
(:mod:`lrpstudio.core.xai.losses`), RRR (:mod:`lrpstudio.core.xai.rrr`) or plain CE;
:class:`GuidanceResult` is what every step returns. The small helpers shared by the
steps (:func:`weighted_ce`, :func:`step_parts`, :func:`labels_of`) live here too: the
LRPLoss selector and RRR both build on this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.composites import DEFAULT_COMPOSITE, check_composite
from lrpstudio.core.xai.relevance import SEEDS, Engine, Seed

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
    forbidden_weight
        Weight of the forbidden-region (artefact) term, 0 = off: the share of positive
        relevance inside each slice's artefact region is added to its loss
        (:mod:`lrpstudio.core.xai.forbidden`; for RRR the region is an RRR annotation).
        With ``score_gradient="detached"`` the term is a constant (no gradient), as S is.
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
    forbidden_weight: float = 0.0

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
        if not (float(self.forbidden_weight) >= 0.0) or math.isinf(float(self.forbidden_weight)):
            raise ExplanationError("forbidden_weight must be a finite number >= 0", expected=">= 0",
                                   actual=self.forbidden_weight)
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


def step_parts(loss: Tensor, ce: Tensor, scores: Tensor, **extra: float) -> dict[str, float]:
    """The floats a step logs (:attr:`GuidanceResult.parts`), plus ``extra``."""
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


def labels_of(y: Tensor, x: Tensor) -> Tensor:
    """``y`` as a flat int64 tensor on ``x``'s device."""
    return torch.as_tensor(y, device=x.device).long().reshape(-1)


def weighted_ce(logits: Tensor, y: Tensor, weights: Tensor | None = None) -> Tensor:
    """Per-slice cross-entropy, times the slice's weight when ``weights`` is given."""
    ce = F.cross_entropy(logits, y, reduction="none")
    return ce if weights is None else ce * weights.to(ce.dtype)
