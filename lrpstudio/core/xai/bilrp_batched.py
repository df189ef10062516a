"""The LRP backward of many seeds at once, for one traced input (BiLRP's inner loop).

BiLRP needs, for one slice, the relevance of each of K projected features: K LRP passes
that share one forward. Given the forward's tape (:func:`lrpstudio.core.xai.explicit.trace`
on a batch of one), everything a rule needs besides the incoming relevance -- its modified
outputs, the sign masks, the stabilised inverse denominators, the stacked weights -- is
computed once by :func:`prepare`; :func:`run` then pushes the K seeds through as one
batch, so each layer costs one transposed convolution over K rows.

The values are those of :mod:`lrpstudio.core.xai.rules` (zennit's formulas): LRP-gamma
and LRP-epsilon are re-written here with their batch-of-one parts hoisted out; any other
rule is applied as it is (it broadcasts the batch of one against the K rows).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lrpstudio.core.xai import rules as R
from lrpstudio.core.xai.bilrp_head import fused_head
from lrpstudio.core.xai.explicit import PoolStep, RuleChooser, ScaleStep, Tape
from lrpstudio.core.xai.rules import AffineLayer, stabilize

#: One backward step: relevance at a layer's output (K, ...) -> at its input (K, ...).
Step = Callable[[Tensor], Tensor]


def _cat_bias(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    return None if a is None or b is None else torch.cat([a, b])


def _gamma_step(layer: AffineLayer, rule: R.Gamma) -> Step:
    """LRP-gamma (zennit's generalised form) with the sample-only parts precomputed."""
    w, b, x, g, eps = layer.weight, layer.bias, layer.x, rule.gamma, rule.stabilizer
    k = w.shape[0]
    w_up, w_down = w + g * w.clamp(min=0), w + g * w.clamp(max=0)
    b_up = None if b is None else b + g * b.clamp(min=0)
    b_down = None if b is None else b + g * b.clamp(max=0)
    pos, neg = (layer.z > 0).to(x.dtype), (layer.z < 0).to(x.dtype)
    if not bool((x < 0).any()):
        # After a ReLU: only the x >= 0 terms exist; both weight parts in one pass.
        both = torch.cat([w_up, w_down])
        o = layer.forward(x, both, _cat_bias(b_up, b_down))
        inv = torch.stack([pos / stabilize(o[:, :k], eps), neg / stabilize(o[:, k:], eps)], dim=1)

        def step(r: Tensor) -> Tensor:
            s = (r.unsqueeze(1) * inv).flatten(1, 2)  # (K, 2k, ...): [R+/o+, R-/o-]
            return x * layer.backward(s, both)
        return step
    xp, xn = x.clamp(min=0), x.clamp(max=0)
    o_pos = layer.forward(xp, w_up, b_up) + layer.forward(xn, w_down, None)
    o_neg = layer.forward(xp, w_down, b_down) + layer.forward(xn, w_up, None)
    inv = torch.stack([pos / stabilize(o_pos, eps), neg / stabilize(o_neg, eps)], dim=1)
    # One transposed pass gives both input parts: rows [s+, s-], columns [for x+, for x-].
    combined = torch.cat([torch.cat([w_up, w_down], dim=1), torch.cat([w_down, w_up], dim=1)])
    cin = x.shape[1]

    def step_mixed(r: Tensor) -> Tensor:
        s = (r.unsqueeze(1) * inv).flatten(1, 2)
        out = layer.backward(s, combined)
        return xp * out[:, :cin] + xn * out[:, cin:]
    return step_mixed


def _epsilon_step(layer: AffineLayer, rule: R.Epsilon) -> Step:
    inv = 1.0 / stabilize(layer.z, rule.epsilon)
    return lambda r: layer.x * layer.backward(r * inv, layer.weight)


def _generic_step(layer: AffineLayer, rule: R.Rule) -> Step:
    if isinstance(rule, R.Flat):
        # Flat expands its result to the input's batch: give it the K rows.
        def flat(r: Tensor) -> Tensor:
            wide = AffineLayer(layer.module, layer.x.expand((r.shape[0],) + layer.x.shape[1:]),
                               layer.z, layer.weight, layer.bias)
            return rule(wide, r)
        return flat
    return lambda r: rule(layer, r)


def _affine_step(layer: AffineLayer, rule: R.Rule) -> Step:
    if type(rule) is R.Gamma:
        return _gamma_step(layer, rule)
    if type(rule) is R.Epsilon:
        return _epsilon_step(layer, rule)
    return _generic_step(layer, rule)


def _maxpool_step(pool: PoolStep) -> Step:
    def step(r: Tensor) -> Tensor:
        # max-pool's gradient: each pooled value's relevance goes to its winner
        return F.max_unpool2d(r, pool.indices.expand_as(r), pool.kernel_size, pool.stride,
                              output_size=pool.shape[-2:])
    return step


def _scale_step(scale: Tensor) -> Step:
    return lambda r: r * scale


def _reshape_step(shape: tuple[int, ...]) -> Step:
    return lambda r: r.reshape((r.shape[0],) + shape)


def prepare(tape: Tape, choose: RuleChooser, pool: int | None = None) -> tuple[list[Step], bool]:
    """The backward steps of ``tape`` (a batch of one), last layer first.

    Parameters
    ----------
    tape
        From :func:`~lrpstudio.core.xai.explicit.trace` on a single input.
    choose
        The rule of each affine layer (index, layer) -> rule.
    pool
        With a patch size, the first layer (and a max-pool after it) is fused with the
        patch pooling where its rule allows (:mod:`lrpstudio.core.xai.bilrp_head`).

    Returns
    -------
    steps, pooled
        The steps, and whether they end in patches (K, h, w) rather than pixels (K, C, H, W).
    """
    fused = fused_head(tape, choose, pool) if pool is not None else None
    consumed = fused[0] if fused is not None else 0
    index = {id(layer): i for i, layer in enumerate(tape.affine_layers)}
    steps: list[Step] = []
    for step in reversed(tape.steps[consumed:]):
        if isinstance(step, AffineLayer):
            steps.append(_affine_step(step, choose(index[id(step)], step)))
        elif isinstance(step, PoolStep):
            steps.append(_maxpool_step(step))
        elif isinstance(step, ScaleStep):
            steps.append(_scale_step(step.scale))
        else:
            steps.append(_reshape_step(tuple(step.shape[1:])))
    if fused is not None:
        steps.append(fused[1])
    return steps, fused is not None


def run(steps: list[Step], seeds: Tensor) -> Tensor:
    """Push K seeds (K, ...) through the prepared steps: (K, C, H, W) input relevance."""
    r = seeds
    for step in steps:
        r = step(r)
    return r
