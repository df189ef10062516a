"""TumorLRPScore (paper eq. 1): the share of positive relevance that falls inside the tumour.

    R+  = max(R, 0) per channel, summed over the channels: one value per pixel
    S   = sum(R+ in tumour) / (sum(R+ in tumour) + sum(R+ in brain minus tumour))

``normalized=True`` divides each sum by its region's area first. A slice whose tumour
mask is empty has no score: NaN, never a division by zero, and no NaN in any gradient.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lrpstudio.core.errors import ExplanationError


def positive_relevance(relevance: Tensor) -> Tensor:
    """``(N, C, H, W)`` -> ``(N, H, W)``: positive part per channel, summed over channels."""
    if relevance.dim() == 3:
        relevance = relevance[:, None]
    return relevance.clamp(min=0).sum(dim=1)


def _as_mask(mask: Tensor, like: Tensor, name: str) -> Tensor:
    mask = torch.as_tensor(mask, device=like.device)
    if mask.shape != like.shape:
        raise ExplanationError(f"{name} must have one value per pixel", expected=tuple(like.shape),
                               actual=tuple(mask.shape))
    return mask > 0.5 if mask.dtype.is_floating_point else mask.bool()


def region_sums(relevance: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                normalized: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """Positive relevance in the tumour and in the brain minus the tumour, per slice.

    Returns
    -------
    inside, outside, has_tumor
        ``(N,)`` sums (area-normalised when ``normalized``) and a bool mask of the slices
        whose tumour mask is not empty.
    """
    rp = positive_relevance(relevance)
    tumor = _as_mask(tumor_mask, rp, "tumor_mask")
    rest = _as_mask(brain_mask, rp, "brain_mask") & ~tumor
    t, r = tumor.to(rp.dtype), rest.to(rp.dtype)
    inside, outside = (rp * t).sum((1, 2)), (rp * r).sum((1, 2))
    area_t, area_r = t.sum((1, 2)), r.sum((1, 2))
    if normalized:
        # An empty region contributes 0 (max(area, 1) keeps the division finite).
        inside = inside / area_t.clamp(min=1)
        outside = outside / area_r.clamp(min=1)
    return inside, outside, area_t > 0


def tumor_lrp_score(relevance: Tensor, tumor_mask: Tensor, brain_mask: Tensor,
                    normalized: bool = False) -> Tensor:
    """TumorLRPScore per slice, differentiable.

    Parameters
    ----------
    relevance
        ``(N, C, H, W)`` LRP relevance for the true label (e.g. from ``relevance``
        with ``create_graph=True``).
    tumor_mask, brain_mask
        ``(N, H, W)`` bool or float (> 0.5 is inside); the brain mask includes the tumour.
    normalized
        Divide each region's sum by its area (the paper's variant).

    Returns
    -------
    torch.Tensor
        ``(N,)`` scores in [0, 1]; NaN where the tumour mask is empty; 0 where the slice has
        a tumour but no positive relevance in the brain.
    """
    inside, outside, has = region_sums(relevance, tumor_mask, brain_mask, normalized)
    total = inside + outside
    ok = has & (total > 0)
    # Safe denominators: a 0/0 branch would put NaN into the gradient even when not selected.
    score = inside / torch.where(ok, total, torch.ones_like(total))
    nan = torch.full_like(score, float("nan"))
    return torch.where(has, torch.where(ok, score, torch.zeros_like(score)), nan)
