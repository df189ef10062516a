"""LRP relevance of the input: ``api.relevance`` and the one-forward variant the losses use.

Two engines give the same values:

- ``"explicit"`` (:mod:`lrpstudio.core.xai.explicit`): hook-free, for sequential networks
  (both registry models). Fast, and exact second-order gradients, BatchNorm included.
- ``"zennit"``: zennit's hooks with our graph-keeping rule instances
  (:func:`lrpstudio.core.xai.composites.zennit_composite`), for any other network.

``"auto"`` picks the explicit engine whenever the model allows it.

The seed is zennit's: the one-hot vector of the target class at the logits, so the
relevance of a sample sums to about 1 (minus what biases absorb).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai import explicit
from lrpstudio.core.xai.composites import (DEFAULT_COMPOSITE, check_composite, input_bounds,
                                           rule_chooser, zennit_composite)

Engine = Literal["auto", "explicit", "zennit"]


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

    Returns
    -------
    logits, relevance
        ``(N, K)`` logits of this forward (usable for the classification loss: run its
        backward after this call returns, never inside a zennit context) and ``(N, C, H, W)``.
    """
    target = _check_inputs(x, target)
    check_composite(composite)
    low, high = input_bounds(x) if composite == "epsilon_gamma_box" else (None, None)
    if choose_engine(model, engine) == "explicit":
        logits, tape = explicit.trace(model, x)
        seed = F.one_hot(target, logits.shape[1]).to(logits.dtype)
        with torch.set_grad_enabled(create_graph and torch.is_grad_enabled()):
            rel = explicit.propagate(tape, seed, rule_chooser(composite, low, high))
        return logits, (rel if create_graph else rel.detach())
    return _zennit_forward(model, x, target, composite, create_graph, low, high)


def _zennit_forward(model: nn.Module, x: Tensor, target: Tensor, composite: str,
                    create_graph: bool, low: Tensor | None, high: Tensor | None) -> tuple[Tensor, Tensor]:
    # The input must require grad or zennit hooks nothing on the first layer (trap 2).
    x_in = x if x.requires_grad else x.detach().requires_grad_(True)
    if low is not None and high is not None:
        low, high = low.expand_as(x), high.expand_as(x)
    comp = zennit_composite(composite, low, high, keep_graph=True)
    with torch.enable_grad(), comp.context(model):
        logits = model(x_in)
        # The seed must require grad, or the last layer gets no second-order path (trap 2).
        seed = F.one_hot(target, logits.shape[1]).to(logits.dtype).requires_grad_(create_graph)
        (rel,) = torch.autograd.grad(logits, x_in, seed, create_graph=create_graph, retain_graph=True)
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
