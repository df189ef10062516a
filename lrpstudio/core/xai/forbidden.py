"""The forbidden-region (artefact) term: relevance the classifier must not draw from a region.

A reviewer marks a blob of relevance outside the tumour as an artefact or shortcut; the
case's region becomes a forbidden mask F_i on each of its training slices. With
``forbidden_weight = w > 0`` every guidance kind adds, per slice i whose F_i is not empty::

    share_i = sum(R+_i * F_i) / sum(R+_i)          (0 when the slice has no positive relevance)
    loss_i += w * share_i

R+ is the positive relevance summed over the channels (as in TumorLRPScore), from the
same differentiable LRP (``create_graph=True``) the guidance uses; the batch loss stays
the mean over all slices, so slices without a region add 0. The denominator is bounded
below (:data:`MIN_TOTAL`), so no NaN or inf enters the gradient even when a slice has no
positive relevance at all (then R+ is 0 everywhere and so is its gradient).

For RRR (``kind="rrr"``) the region is an RRR annotation instead, beside "outside the
tumour": ``loss_i += w * sum((F_i * d sum_k log p_k / dx_i)^2)`` (:mod:`lrpstudio.core.xai.rrr`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai.score import positive_relevance

#: Lower bound of a slice's total positive relevance in the share's denominator.
MIN_TOTAL = 1e-12


def as_forbidden(forbidden: Tensor | None, like: Tensor, weight: float) -> Tensor | None:
    """The forbidden masks as a bool ``(N, H, W)`` tensor when the term applies, else None.

    The term applies when ``weight > 0`` and at least one slice has a region; otherwise
    the step is exactly what it would be without regions (no extra work, no gradient).
    """
    if forbidden is None or weight <= 0:
        return None
    mask = torch.as_tensor(forbidden, device=like.device)
    mask = mask > 0.5 if mask.dtype.is_floating_point else mask.bool()
    expected = (like.shape[0],) + tuple(like.shape[-2:])
    if tuple(mask.shape) != expected:
        raise ExplanationError("the forbidden masks must have one value per pixel",
                               expected=expected, actual=tuple(mask.shape))
    return mask if bool(mask.any()) else None


def forbidden_share(relevance: Tensor, forbidden: Tensor) -> tuple[Tensor, Tensor]:
    """Per slice, the share of positive relevance inside the forbidden region (differentiable).

    Parameters
    ----------
    relevance
        ``(N, C, H, W)`` relevance (with its graph for training).
    forbidden
        ``(N, H, W)`` bool masks.

    Returns
    -------
    share, has
        ``(N,)`` shares in [0, 1] (0 for slices without a region) and the bool mask of
        the slices that have one.
    """
    rp = positive_relevance(relevance)
    mask = forbidden.to(device=rp.device)
    has = mask.flatten(1).any(1)
    inside = (rp * mask.to(rp.dtype)).flatten(1).sum(1)
    total = rp.flatten(1).sum(1).clamp(min=MIN_TOTAL)
    return inside / total * has.to(rp.dtype), has


def forbidden_term(relevance: Tensor, forbidden: Tensor, weight: float) -> tuple[Tensor, float]:
    """``weight * mean_i share_i`` over the batch (slices without a region count 0) and the
    mean share over the slices with a region (a float for the logs, NaN when none)."""
    share, has = forbidden_share(relevance, forbidden)
    mean_share = float(share.detach()[has].mean()) if bool(has.any()) else float("nan")
    return float(weight) * share.mean(), mean_share


def monitored_share(relevance: Tensor, forbidden: Tensor | None) -> float:
    """The mean forbidden share of detached relevance, for the logs (NaN without regions)."""
    if forbidden is None:
        return float("nan")
    return forbidden_term(relevance.detach(), forbidden, 0.0)[1]


def input_gradient_term(grad: Tensor, forbidden: Tensor, weight: float) -> Tensor:
    """RRR on the forbidden region: ``weight * sum((F_i * grad_i)^2)`` per slice, ``(N,)``."""
    mask = forbidden.to(device=grad.device, dtype=grad.dtype)[:, None]
    return float(weight) * ((mask * grad) ** 2).sum((1, 2, 3))
