"""LRP relevance of the input: ``api.relevance`` and the one-forward variant the losses use.

Two engines give the same values:

- ``"explicit"`` (:mod:`lrpstudio.core.xai.explicit`): hook-free, for sequential networks
  (both registry models). Fast, and exact second-order gradients, BatchNorm included.
- ``"zennit"``: zennit's hooks with our graph-keeping rule instances
  (:func:`lrpstudio.core.xai.composites.zennit_composite`), for any other network.

``"auto"`` picks the explicit engine whenever the model allows it.

The default seed is zennit's: the one-hot vector of the target class at the logits, so
the relevance of a sample sums to about 1 (minus what biases absorb). ``seed="contrast"``
explains the margin of the target over the other classes instead (``+1`` on the target,
``-1/(K-1)`` on each other logit): what decides a two-class prediction is
``z_y - z_other``, and a network guided on the target logit alone can move a shortcut
into the *other* logit, where the true-label explanation never looks.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai import explicit
from lrpstudio.core.xai.composites import (DEFAULT_COMPOSITE, bounds_for, check_composite,
                                           rule_chooser, zennit_composite)

Engine = Literal["auto", "explicit", "zennit"]
Seed = Literal["label", "contrast"]
SEEDS: tuple[str, ...] = ("label", "contrast")


def output_seed(target: Tensor, num_classes: int, dtype: torch.dtype, seed: Seed = "label") -> Tensor:
    """The relevance put on the logits: one-hot of ``target``, or its contrast.

    Parameters
    ----------
    target
        ``(N,)`` int64 classes.
    num_classes, dtype
        Shape and dtype of the logits.
    seed
        ``"label"``: 1 on the target logit. ``"contrast"``: 1 on the target and
        ``-1/(K-1)`` on every other logit, i.e. the relevance of the margin.
    """
    onehot = F.one_hot(target, num_classes).to(dtype)
    if seed == "label":
        return onehot
    if seed != "contrast":
        raise ExplanationError("unknown relevance seed", expected=" or ".join(SEEDS), actual=seed)
    return onehot - (1.0 - onehot) / max(num_classes - 1, 1)


def _check_inputs(x: Tensor, target: Tensor) -> Tensor:
    if x.dim() != 4:
        raise ExplanationError("input must be a batch of images", expected="(N, C, H, W)",
                               actual=tuple(x.shape))
    target = torch.as_tensor(target, device=x.device).long().reshape(-1)
    if target.shape[0] != x.shape[0]:
        raise ExplanationError("one target per image", expected=x.shape[0], actual=target.shape[0])
    return target


def choose_engine(model: nn.Module, engine: Engine = "auto") -> Literal["explicit", "zennit"]:
    """Resolve ``"auto"``; refuse ``"explicit"`` for a model it cannot run."""
    if engine not in ("auto", "explicit", "zennit"):
        raise ExplanationError("unknown LRP engine", expected="auto, explicit or zennit", actual=engine)
    if engine == "zennit":
        return "zennit"
    if explicit.supports(model):
        return "explicit"
    if engine == "explicit":
        raise ExplanationError("the explicit LRP engine needs a sequential model of supported layers",
                               expected="Conv2d/Linear/ReLU/MaxPool2d/Dropout/Flatten/BatchNorm",
                               actual=type(model).__name__)
    return "zennit"


def forward_with_relevance(
    model: nn.Module,
    x: Tensor,
    target: Tensor,
    composite: str = DEFAULT_COMPOSITE,
    create_graph: bool = False,
    engine: Engine = "auto",
    seed: Seed = "label",
) -> tuple[Tensor, Tensor]:
    """One forward pass giving the logits (with graph) and the input relevance.

    Parameters
    ----------
    model, x, target, composite
        As in :func:`relevance`.
    create_graph
        Keep the relevance differentiable (for LRPLoss); otherwise it is detached and
        computed without recording a graph.
    engine
        ``"auto"``, ``"explicit"`` or ``"zennit"``.
    seed
        ``"label"`` (the target logit) or ``"contrast"`` (its margin), see :func:`output_seed`.

    Returns
    -------
    logits, relevance
        ``(N, K)`` logits of this forward (usable for the classification loss: run its
        backward after this call returns, never inside a zennit context) and ``(N, C, H, W)``.
    """
    target = _check_inputs(x, target)
    check_composite(composite)
    low, high = bounds_for(composite, x)
    if choose_engine(model, engine) == "explicit":
        logits, tape = explicit.trace(model, x)
        start = output_seed(target, logits.shape[1], logits.dtype, seed)
        with torch.set_grad_enabled(create_graph and torch.is_grad_enabled()):
            rel = explicit.propagate(tape, start, rule_chooser(composite, low, high))
        return logits, (rel if create_graph else rel.detach())
    return _zennit_forward(model, x, target, composite, create_graph, low, high, seed)


def _zennit_forward(model: nn.Module, x: Tensor, target: Tensor, composite: str,
                    create_graph: bool, low: Tensor | None, high: Tensor | None,
                    seed: Seed = "label") -> tuple[Tensor, Tensor]:
    # The input must require grad or zennit hooks nothing on the first layer (trap 2).
    x_in = x if x.requires_grad else x.detach().requires_grad_(True)
    if low is not None and high is not None:
        low, high = low.expand_as(x), high.expand_as(x)
    comp = zennit_composite(composite, low, high, keep_graph=True)
    with torch.enable_grad(), comp.context(model):
        logits = model(x_in)
        # The seed must require grad, or the last layer gets no second-order path (trap 2).
        start = output_seed(target, logits.shape[1], logits.dtype, seed).requires_grad_(create_graph)
        (rel,) = torch.autograd.grad(logits, x_in, start, create_graph=create_graph, retain_graph=True)
    # Leaving the context removed the hooks: a later backward sees plain gradients (trap 3).
    return logits, (rel if create_graph else rel.detach())


def relevance(
    model: nn.Module,
    x: Tensor,
    target: Tensor,
    composite: str = DEFAULT_COMPOSITE,
    create_graph: bool = False,
    engine: Engine = "auto",
) -> Tensor:
    """LRP relevance of each input pixel for the logit of ``target``.

    Parameters
    ----------
    model
        The network, in the mode you want explained (``eval()`` for a heatmap).
    x
        ``(N, C, H, W)`` float input.
    target
        ``(N,)`` int64 class per image (the true label for TumorLRPScore).
    composite
        One of :data:`lrpstudio.core.xai.composites.COMPOSITES`.
    create_graph
        Keep the result differentiable with respect to the model's parameters (and ``x``).
    engine
        ``"auto"`` (explicit engine where possible), ``"explicit"`` or ``"zennit"``.

    Returns
    -------
    torch.Tensor
        ``(N, C, H, W)`` relevance, same dtype and device as ``x``; the model's
        Parameter objects are untouched.
    """
    return forward_with_relevance(model, x, target, composite, create_graph, engine)[1]
