"""LRP rules written as explicit, differentiable tensor functions.

Each rule maps the relevance ``R`` at the output of one affine layer (a Conv2d or Linear,
with a following BatchNorm already merged in) to the relevance at its input. The formulas
are zennit 0.5.1's (``zennit.rules``: Epsilon, ZPlus, AlphaBeta, Gamma, ZBox, Flat, with
zennit's sign-preserving stabiliser), so the values equal zennit's; but every modified
weight is built from the live parameter tensor, never from ``param.data``, so the result
keeps its full autograd graph (docs/method.md, trap 1) and ``dR/dtheta`` is exact.

Speed: where the layer input is non-negative (every layer after a ReLU) the terms for
negative inputs are exactly zero and are skipped, and the positive/negative weight parts
are stacked into one convolution and one transposed convolution instead of two each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: zennit's default stabiliser (``Stabilizer(epsilon=1e-6)``) for every rule.
DEFAULT_STABILIZER = 1e-6


def stabilize(z: Tensor, epsilon: float) -> Tensor:
    """zennit's ``stabilize``: move ``z`` away from 0 by ``epsilon`` keeping its sign (0 counts as +).

    The shift is a constant, so the derivative with respect to ``z`` is exactly 1.
    """
    return torch.where(z >= 0, z + epsilon, z - epsilon)


@dataclass(eq=False)
class AffineLayer:
    """One affine layer as the rules see it.

    Attributes
    ----------
    module
        The Conv2d or Linear (for its stride/padding/groups).
    x
        Its input (with graph).
    z
        Its pre-activation output as computed in the forward pass (after the merged BN).
    weight, bias
        Effective parameters, BatchNorm merged in, with graph (``bias`` may be None).
    """

    module: nn.Module
    x: Tensor
    z: Tensor
    weight: Tensor
    bias: Tensor | None
    nonnegative: bool | None = None  # x >= 0 known from the network's structure; None: check

    def has_negative_input(self) -> bool:
        """True when some input is negative (then the rules need their negative-input terms)."""
        if self.nonnegative is None:
            self.nonnegative = not bool((self.x < 0).any())
        return not self.nonnegative

    @property
    def is_conv(self) -> bool:
        """True for Conv2d, False for Linear."""
        return isinstance(self.module, nn.Conv2d)

    def forward(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        """The layer's operation with other inputs/parameters."""
        m = self.module
        if isinstance(m, nn.Conv2d):
            return F.conv2d(x, weight, bias, m.stride, m.padding, m.dilation, m.groups)
        return F.linear(x, weight, bias)

    def backward(self, s: Tensor, weight: Tensor) -> Tensor:
        """Transpose of :meth:`forward` (the vector-Jacobian product with respect to the input)."""
        m = self.module
        if not isinstance(m, nn.Conv2d):
            return s @ weight
        padding = cast(tuple[int, int], m.padding)  # explicit engine: numeric padding only (supports())
        out_pad = []
        for i in range(2):
            full = ((s.shape[2 + i] - 1) * m.stride[i] - 2 * padding[i]
                    + m.dilation[i] * (weight.shape[2 + i] - 1) + 1)
            out_pad.append(self.x.shape[2 + i] - full)
        return F.conv_transpose2d(s, weight, None, m.stride, padding, tuple(out_pad),
                                  m.groups, m.dilation)


class Rule(Protocol):
    """Relevance at the output of a layer -> relevance at its input."""

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor: ...


def _clamp_bias(bias: Tensor | None, positive: bool) -> Tensor | None:
    if bias is None:
        return None
    return bias.clamp(min=0) if positive else bias.clamp(max=0)


def _cat_bias(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    return None if a is None or b is None else torch.cat([a, b])


@dataclass(frozen=True)
class Epsilon:
    """LRP-epsilon: ``R_in = x * W^T (R / stab(z))`` with the layer's own output ``z``."""

    epsilon: float = DEFAULT_STABILIZER

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor:
        s = relevance / stabilize(layer.z, self.epsilon)
        return layer.x * layer.backward(s, layer.weight)


@dataclass(frozen=True)
class AlphaBeta:
    """LRP-alpha-beta (alpha - beta = 1); ``alpha=1, beta=0`` is zennit's ZPlus."""

    alpha: float = 2.0
    beta: float = 1.0
    stabilizer: float = DEFAULT_STABILIZER

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor:
        w, b, x = layer.weight, layer.bias, layer.x
        wp, wn = w.clamp(min=0), w.clamp(max=0)
        if not layer.has_negative_input():
            return self._nonnegative(layer, relevance, wp, wn)
        if not layer.is_conv or layer.module.groups == 1:
            return self._signed(layer, relevance, wp, wn)
        xp, xn = x.clamp(min=0), x.clamp(max=0)
        zp = layer.forward(xp, wp, _clamp_bias(b, True)) + layer.forward(xn, wn, None)
        sp = relevance / stabilize(zp, self.stabilizer)
        out = self.alpha * (xp * layer.backward(sp, wp) + xn * layer.backward(sp, wn))
        if self.beta == 0:
            return out
        zn = layer.forward(xp, wn, _clamp_bias(b, False)) + layer.forward(xn, wp, None)
        sn = relevance / stabilize(zn, self.stabilizer)
        return out - self.beta * (xp * layer.backward(sn, wn) + xn * layer.backward(sn, wp))

    def _nonnegative(self, layer: AffineLayer, relevance: Tensor, wp: Tensor, wn: Tensor) -> Tensor:
        b, x = layer.bias, layer.x
        if self.beta == 0:
            # x >= 0, w+ >= 0, b+ >= 0: z >= 0, so zennit's stabiliser is simply z + eps.
            zp = layer.forward(x, wp, _clamp_bias(b, True))
            return self.alpha * x * layer.backward(relevance / (zp + self.stabilizer), wp)
        # One convolution and one transposed convolution over both weight parts.
        k = wp.shape[0]
        z = layer.forward(x, torch.cat([wp, wn]), _cat_bias(_clamp_bias(b, True), _clamp_bias(b, False)))
        zp, zn = z[:, :k], z[:, k:]
        s = torch.cat([self.alpha * relevance / stabilize(zp, self.stabilizer),
                       -self.beta * relevance / stabilize(zn, self.stabilizer)], dim=1)
        return x * layer.backward(s, torch.cat([wp, wn]))


    def _signed(self, layer: AffineLayer, relevance: Tensor, wp: Tensor, wn: Tensor) -> Tensor:
        # Inputs of both signs: stack [x+, x-] along the input channels, so that each
        # output part is ONE convolution, e.g. z+ = conv([x+, x-], [w+, w-]) + b+.
        b, x = layer.bias, layer.x
        xx = torch.cat([x.clamp(min=0), x.clamp(max=0)], dim=1)
        w_pos = torch.cat([wp, wn], dim=1)
        if self.beta == 0:
            zp = layer.forward(xx, w_pos, _clamp_bias(b, True))  # >= 0: stabiliser is z + eps
            g = layer.backward(relevance / (zp + self.stabilizer), w_pos)
            return self.alpha * _sum_halves(xx * g)
        k = wp.shape[0]
        both = torch.cat([w_pos, torch.cat([wn, wp], dim=1)])
        z = layer.forward(xx, both, _cat_bias(_clamp_bias(b, True), _clamp_bias(b, False)))
        s = torch.cat([self.alpha * relevance / (z[:, :k] + self.stabilizer),
                       -self.beta * relevance / stabilize(z[:, k:], self.stabilizer)], dim=1)
        return _sum_halves(xx * layer.backward(s, both))


def _sum_halves(t: Tensor) -> Tensor:
    """``t[:, :C] + t[:, C:]`` for a tensor stacked from two C-channel halves."""
    first, second = t.chunk(2, dim=1)
    return first + second


def ZPlus(stabilizer: float = DEFAULT_STABILIZER) -> AlphaBeta:  # noqa: N802 (zennit's rule name)
    """LRP-z+ (zennit's ZPlus), i.e. alpha=1, beta=0."""
    return AlphaBeta(alpha=1.0, beta=0.0, stabilizer=stabilizer)


@dataclass(frozen=True)
class Gamma:
    """Generalised LRP-gamma (zennit's Gamma, positive and negative outputs handled apart)."""

    gamma: float = 0.25
    stabilizer: float = DEFAULT_STABILIZER

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor:
        w, b, x, g = layer.weight, layer.bias, layer.x, self.gamma
        w_up, w_down = w + g * w.clamp(min=0), w + g * w.clamp(max=0)
        b_up = None if b is None else b + g * b.clamp(min=0)
        b_down = None if b is None else b + g * b.clamp(max=0)
        pos = (layer.z > 0).to(relevance.dtype)
        neg = (layer.z < 0).to(relevance.dtype)
        if not layer.has_negative_input():
            k = w.shape[0]
            both = torch.cat([w_up, w_down])
            o = layer.forward(x, both, _cat_bias(b_up, b_down))
            s = torch.cat([pos * relevance / stabilize(o[:, :k], self.stabilizer),
                           neg * relevance / stabilize(o[:, k:], self.stabilizer)], dim=1)
            return x * layer.backward(s, both)
        xp, xn = x.clamp(min=0), x.clamp(max=0)
        o_pos = layer.forward(xp, w_up, b_up) + layer.forward(xn, w_down, None)
        o_neg = layer.forward(xp, w_down, b_down) + layer.forward(xn, w_up, None)
        sp = pos * relevance / stabilize(o_pos, self.stabilizer)
        sn = neg * relevance / stabilize(o_neg, self.stabilizer)
        return (xp * (layer.backward(sp, w_up) + layer.backward(sn, w_down))
                + xn * (layer.backward(sp, w_down) + layer.backward(sn, w_up)))


@dataclass(frozen=True, eq=False)
class ZBox:
    """LRP-z^B for a bounded input: ``low <= x <= high`` (tensors broadcastable to x)."""

    low: Tensor
    high: Tensor
    stabilizer: float = DEFAULT_STABILIZER

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor:
        w, b, x = layer.weight, layer.bias, layer.x
        low = self.low.to(x).expand_as(x)
        high = self.high.to(x).expand_as(x)
        wp, wn = w.clamp(min=0), w.clamp(max=0)
        if layer.is_conv and layer.module.groups != 1:
            z = (layer.z - layer.forward(low, wp, _clamp_bias(b, True))
                 - layer.forward(high, wn, _clamp_bias(b, False)))
            s = relevance / stabilize(z, self.stabilizer)
            return (x * layer.backward(s, w) - low * layer.backward(s, wp)
                    - high * layer.backward(s, wn))
        # z(x) is the forward's own output; the two bound terms are one convolution over
        # [low, high] stacked on the channels, and all three transposes are one.
        # (The bound terms' biases b+ and b- add up to b.)
        bounds = torch.cat([low, high], dim=1)
        z = layer.z - layer.forward(bounds, torch.cat([wp, wn], dim=1), b)
        s = relevance / stabilize(z, self.stabilizer)
        g_x, g_low, g_high = layer.backward(s, torch.cat([w, wp, wn], dim=1)).chunk(3, dim=1)
        return x * g_x - low * g_low - high * g_high


@dataclass(frozen=True)
class Flat:
    """LRP-flat: all weights 1, no bias, all inputs 1; spreads relevance uniformly over each receptive field.

    The result does not depend on the layer's weights or input, only on its shape; all
    output channels are alike, so they are summed before the single transposed pass.
    """

    stabilizer: float = DEFAULT_STABILIZER

    def __call__(self, layer: AffineLayer, relevance: Tensor) -> Tensor:
        x, w = layer.x, layer.weight
        groups = layer.module.groups if layer.is_conv else 1
        if groups != 1:
            ones_w = torch.ones_like(w)
            z = layer.forward(torch.ones_like(x), ones_w, None)
            return layer.backward(relevance / stabilize(z, self.stabilizer), ones_w)
        ones_w = torch.ones((1,) + tuple(w.shape[1:]), dtype=x.dtype, device=x.device)
        ones_x = torch.ones((1,) + tuple(x.shape[1:]), dtype=x.dtype, device=x.device)
        z = layer.forward(ones_x, ones_w, None)  # (1, 1, ...): the same for every channel and sample
        # z does not depend on the output channel: sum the relevance first, divide once.
        s = relevance.sum(dim=1, keepdim=True) / stabilize(z, self.stabilizer)
        return layer.backward(s, ones_w).expand_as(x)
