"""BiLRP's first layer fused with the patch pooling: relevance straight into patches.

BiLRP only needs each projected feature's relevance summed over the channels and over
8x8 patches. For the first convolution (and the max-pooling right after it) that sum can
be taken before the relevance is ever spread onto the full-resolution image: an LRP rule
gives output unit ``(j, q)`` a fixed *share* of its relevance for each input pixel of its
receptive field, so

    R(patch P) = sum_{j, q} r_j(q) * W_j(q, P),   W_j(q, P) = sum of the shares of (j, q)
                                                   over its input pixels inside P.

``W`` depends on the image only (computed once per slice); each of the K seeds then costs
one small contraction instead of an unpooling, a full-resolution transposed convolution
and a pooling -- the costliest part of a side for the paper's CNN. A receptive field
touches few patches, so ``W`` is stored per patch *offset* relative to the unit's own
patch. The shares are those of :mod:`lrpstudio.core.xai.rules` (LRP-gamma, LRP-epsilon);
other rules are not fused (:func:`fused_head` returns None).
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.xai import rules as R
from lrpstudio.core.xai.explicit import PoolStep, RuleChooser, Tape
from lrpstudio.core.xai.rules import AffineLayer, stabilize

#: Relevance at the fused block's output (K, ...) -> patch relevance (K, h, w).
Head = Callable[[Tensor], Tensor]


def _conv(layer: AffineLayer) -> nn.Conv2d:
    """The layer's module; :func:`fused_head` fuses convolutions only."""
    if not isinstance(layer.module, nn.Conv2d):
        raise TypeError(f"not a convolution: {layer.module}")
    return layer.module


def _padding(conv: nn.Conv2d) -> tuple[int, ...]:
    """Numeric padding: the explicit engine supports zero padding given in pixels only."""
    if isinstance(conv.padding, str):
        raise TypeError(f"padding {conv.padding!r} is not supported")
    return conv.padding


def _unfold(layer: AffineLayer, x: Tensor) -> Tensor:
    """(C, O, Q): input value of channel c at kernel offset o for output position q."""
    m = _conv(layer)
    kh, kw = layer.weight.shape[-2:]
    cols = F.unfold(x, (kh, kw), dilation=m.dilation, padding=_padding(m), stride=m.stride)
    return cols.reshape(x.shape[1], kh * kw, -1)


def _per_offset(cols: Tensor, w: Tensor) -> Tensor:
    """(J, O, Q): sum_c cols[c, o, q] * w[j, c, o] (a loop over the few input channels is
    much faster here than einsum's batched matrix product with its 3-wide inner dimension)."""
    out = cols.new_zeros((w.shape[0],) + tuple(cols.shape[1:]))
    for c in range(cols.shape[0]):
        out.addcmul_(cols[c].unsqueeze(0), w[:, c, :, None])
    return out


def _shares(layer: AffineLayer, rule: object) -> Tensor | None:
    """(J, O, Q): share of output (j, q)'s relevance that goes to its input offset o (channels summed)."""
    j = layer.weight.shape[0]
    w = layer.weight.reshape(j, layer.weight.shape[1], -1)  # (J, C, O)
    z = layer.z.reshape(j, -1)                                # (J, Q)
    if type(rule) is R.Epsilon:
        t = _per_offset(_unfold(layer, layer.x), w)
        return t / stabilize(z, rule.epsilon).unsqueeze(1)
    if type(rule) is not R.Gamma:
        return None
    g, b, eps = rule.gamma, layer.bias, rule.stabilizer
    up, down = w + g * w.clamp(min=0), w + g * w.clamp(max=0)
    w_up = layer.weight + g * layer.weight.clamp(min=0)
    w_down = layer.weight + g * layer.weight.clamp(max=0)
    xp, xn = layer.x.clamp(min=0), layer.x.clamp(max=0)
    b_up = None if b is None else b + g * b.clamp(min=0)
    b_down = None if b is None else b + g * b.clamp(max=0)
    o_pos = (layer.forward(xp, w_up, b_up) + layer.forward(xn, w_down, None)).reshape(j, -1)
    o_neg = (layer.forward(xp, w_down, b_down) + layer.forward(xn, w_up, None)).reshape(j, -1)
    up_p, up_n = _unfold(layer, xp), _unfold(layer, xn)
    t_pos = _per_offset(up_p, up) + _per_offset(up_n, down)
    t_neg = _per_offset(up_p, down) + _per_offset(up_n, up)
    pos, neg = (z > 0).to(t_pos.dtype), (z < 0).to(t_pos.dtype)
    return (t_pos * (pos / stabilize(o_pos, eps)).unsqueeze(1)
            + t_neg * (neg / stabilize(o_neg, eps)).unsqueeze(1))


def _pixel_coords(layer: AffineLayer) -> tuple[Tensor, Tensor]:
    """(O, Q) input row and column of kernel offset o for output position q."""
    m = _conv(layer)
    padding = _padding(m)
    kh, kw = layer.weight.shape[-2:]
    ho, wo = layer.z.shape[-2:]
    dev = layer.x.device
    rows = torch.arange(ho, device=dev) * m.stride[0] - padding[0]
    cols = torch.arange(wo, device=dev) * m.stride[1] - padding[1]
    ky = torch.arange(kh, device=dev).repeat_interleave(kw) * m.dilation[0]
    kx = torch.arange(kw, device=dev).repeat(kh) * m.dilation[1]
    py = ky[:, None] + rows.repeat_interleave(wo)[None, :]
    px = kx[:, None] + cols.repeat(ho)[None, :]
    return py, px


def fused_head(tape: Tape, choose: RuleChooser, pool: int) -> tuple[int, Head] | None:
    """The first conv (and a max-pool right after it) as one step into patches, or None.

    Returns
    -------
    consumed, head
        How many tape steps (from the start) the head replaces, and the head.
    """
    layer = tape.steps[0] if tape.steps else None
    if (not isinstance(layer, AffineLayer) or not isinstance(layer.module, nn.Conv2d)
            or layer.module.groups != 1 or layer.x.shape[0] != 1):
        return None
    shares = _shares(layer, choose(0, layer))
    if shares is None:
        return None
    height, width = layer.x.shape[-2:]
    h, w = math.ceil(height / pool), math.ceil(width / pool)
    py, px = _pixel_coords(layer)
    valid = (py >= 0) & (py < height) & (px >= 0) & (px < width)
    ty, tx = py.div(pool, rounding_mode="floor"), px.div(pool, rounding_mode="floor")
    j, n_out = shares.shape[0], shares.shape[2]
    ho, wo = layer.z.shape[-2:]
    consumed = 1
    # The reference patch of an output position: the patch of its first input pixel.
    ref_y, ref_x = ty[0].clamp(0, h - 1), tx[0].clamp(0, w - 1)
    winners = torch.arange(n_out, device=shares.device).expand(j, n_out)
    pool_step = tape.steps[1] if len(tape.steps) > 1 else None
    if isinstance(pool_step, PoolStep):
        winners = pool_step.indices.reshape(j, -1)  # (J, I): each pooled unit's winner position
        first = winners.min(dim=0).values     # any member of the window would do
        ref_y, ref_x = ref_y[first], ref_x[first]
        consumed = 2
    return consumed, _contract(shares, winners, valid, ty, tx, ref_y, ref_x, h, w)


def _contract(shares: Tensor, winners: Tensor, valid: Tensor, ty: Tensor, tx: Tensor,
              ref_y: Tensor, ref_x: Tensor, h: int, w: int) -> Head:
    """Build W (J, offsets, I) and the head that contracts the seeds with it."""
    j, n_off = shares.shape[0], shares.shape[1]
    gather = winners.unsqueeze(1).expand(j, n_off, winners.shape[1])        # (J, O, I)
    s = shares.gather(2, gather) * valid.unsqueeze(0).expand(j, -1, -1).gather(2, gather)
    dy = ty.unsqueeze(0).expand(j, -1, -1).gather(2, gather) - ref_y
    dx = tx.unsqueeze(0).expand(j, -1, -1).gather(2, gather) - ref_x
    keep = s != 0  # only pixels that receive relevance decide the offset range
    big = torch.iinfo(dy.dtype).max
    y0 = min(int(torch.where(keep, dy, big).min()), 0)
    x0 = min(int(torch.where(keep, dx, big).min()), 0)
    ny = max(int(torch.where(keep, dy, -big).max()), 0) - y0 + 1
    nx = max(int(torch.where(keep, dx, -big).max()), 0) - x0 + 1
    offset = ((dy - y0).clamp(0, ny - 1) * nx + (dx - x0).clamp(0, nx - 1))
    table = torch.zeros(j, ny * nx, winners.shape[1], dtype=shares.dtype, device=shares.device)
    table.scatter_add_(1, offset, s)                                         # (J, D, I)
    gy = ref_y.unsqueeze(0) + torch.arange(ny, device=s.device).repeat_interleave(nx)[:, None] + y0
    gx = ref_x.unsqueeze(0) + torch.arange(nx, device=s.device).repeat(ny)[:, None] + x0
    inside = (gy >= 0) & (gy < h) & (gx >= 0) & (gx < w)
    target = torch.where(inside, gy * w + gx, torch.full_like(gy, h * w)).reshape(-1)

    def head(r: Tensor) -> Tensor:
        k = r.shape[0]
        u = torch.einsum("kji,jdi->kdi", r.reshape(k, j, -1), table)       # (K, D, I)
        out = torch.zeros(k, h * w + 1, dtype=u.dtype, device=u.device)
        out.index_add_(1, target, u.reshape(k, -1))
        return out[:, :h * w].reshape(k, h, w)
    return head
