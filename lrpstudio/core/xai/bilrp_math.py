"""BiLRP's arithmetic: the random projection, the patch pooling, and combining two sides.

With ``P`` the (K x D) projection and ``R^(m)(x)`` the patch relevance of projected
feature ``m`` (a *side*, (K, h, w)), the explanation of a pair is
``R_ii' = sum_m R_i^(m)(x) R_i'^(m)(x')`` (:func:`combine`). :mod:`lrpstudio.core.xai.bilrp`
computes the sides.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lrpstudio.core.errors import InputError


def projection_matrix(dim_in: int, projection_dim: int, seed: int = 0, *,
                      dtype: torch.dtype = torch.float32,
                      device: str | torch.device = "cpu") -> torch.Tensor:
    """The fixed (K, D) projection: N(0, 1/K) entries from ``torch.Generator().manual_seed(seed)``.

    Drawn on the CPU in float64 so that the same seed gives the same matrix on every device.
    """
    if projection_dim < 1:
        raise InputError("projection_dim must be at least 1", expected=">= 1", actual=projection_dim)
    generator = torch.Generator().manual_seed(int(seed))
    matrix = torch.randn(projection_dim, dim_in, generator=generator, dtype=torch.float64)
    return (matrix / math.sqrt(projection_dim)).to(device=device, dtype=dtype)


def sum_pool(relevance: torch.Tensor, pool: int) -> torch.Tensor:
    """(B, C, H, W) pixel relevance -> (B, ceil(H/pool), ceil(W/pool)) patch sums over channels.

    The border is zero-padded, so the sum is kept exactly (conservation).
    """
    r = relevance.sum(dim=1)
    b, h, w = r.shape
    ph, pw = (-h) % pool, (-w) % pool
    r = F.pad(r, (0, pw, 0, ph))
    return r.reshape(b, (h + ph) // pool, pool, (w + pw) // pool, pool).sum(dim=(2, 4))


def combine(side: torch.Tensor, side_other: torch.Tensor) -> torch.Tensor:
    """R_ii' = sum_m side[m, i] side_other[m, i']: (h, w, h', w') from two (K, h, w) sides."""
    if side.shape[0] != side_other.shape[0]:
        raise InputError("the two sides have different projection sizes",
                         expected=side.shape[0], actual=side_other.shape[0])
    return torch.einsum("mab,mcd->abcd", side, side_other)
