"""A hook-free, differentiable LRP engine for sequential networks.

:func:`trace` runs the forward pass leaf by leaf and records what LRP needs (each affine
layer's input, output and effective parameters, each max-pool's indices, each dropout's
mask); :func:`propagate` then walks back from a seed with the rules of
:mod:`lrpstudio.core.xai.rules`. The relevance is an ordinary autograd expression of the
parameters, so ``create_graph=True`` gives exact second-order gradients, nothing is
registered on the model, no Parameter object is ever replaced, and the logits of the same
forward serve the classification loss (one forward for both).

Supported: ``nn.Sequential`` containers (nested) of Conv2d (zero padding), Linear, ReLU,
MaxPool2d (kernel = stride, no padding), Dropout, Flatten, Identity and BatchNorm2d/1d
directly after a Conv2d/Linear. Anything else goes through zennit
(:mod:`lrpstudio.core.xai.composites`); :func:`supports` tells which.

Semantics match zennit's composites: ReLU passes relevance through, max-pool routes it
to the maximum, dropout multiplies it by the training mask (the mask the forward used,
docs/method.md, trap 6), BatchNorm is merged into the affine layer before it (running
statistics in eval mode, the batch statistics the forward used in train mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lrpstudio.core.xai.rules import AffineLayer, Rule

_PASS_THROUGH = (nn.ReLU, nn.Identity)
_LEAVES = (nn.Conv2d, nn.Linear, nn.ReLU, nn.MaxPool2d, nn.Dropout, nn.Flatten, nn.Identity,
           nn.BatchNorm1d, nn.BatchNorm2d)

#: Chooses the rule of the i-th affine layer: ``(index, layer) -> Rule``.
RuleChooser = Callable[[int, AffineLayer], Rule]


def _leaves(module: nn.Module) -> Iterator[nn.Module]:
    children = list(module.children())
    if not children:
        yield module
    for child in children:
        yield from _leaves(child)


def _containers_are_sequential(module: nn.Module) -> bool:
    # A container's forward must be "children in order", which only plain Sequential guarantees.
    for m in module.modules():
        if list(m.children()) and type(m).forward is not nn.Sequential.forward:
            return False
    return True


def _leaf_ok(leaf: nn.Module, previous: nn.Module | None) -> bool:
    if isinstance(leaf, nn.Conv2d):
        return leaf.padding_mode == "zeros" and not isinstance(leaf.padding, str)
    if isinstance(leaf, nn.MaxPool2d):
        return (leaf.kernel_size == leaf.stride and leaf.padding == 0 and leaf.dilation == 1
                and not leaf.ceil_mode)
    if isinstance(leaf, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return isinstance(previous, (nn.Conv2d, nn.Linear)) and leaf.affine
    return isinstance(leaf, _LEAVES)


def supports(model: nn.Module) -> bool:
    """True when :func:`trace` can run ``model`` (see the module docstring)."""
    if not isinstance(model, nn.Sequential) or not _containers_are_sequential(model):
        return False
    previous = None
    for leaf in _leaves(model):
        if not _leaf_ok(leaf, previous):
            return False
        previous = leaf
    return True


@dataclass(frozen=True, eq=False)
class PoolStep:
    """A max-pool: its module, its input's shape and the winners' indices."""

    leaf: nn.MaxPool2d
    shape: torch.Size
    indices: Tensor

    @property
    def kernel_size(self) -> tuple[int, int]:
        """The pooling window (height, width)."""
        return _pair(self.leaf.kernel_size)

    @property
    def stride(self) -> tuple[int, int]:
        """The pooling stride (height, width)."""
        return _pair(self.leaf.stride)


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


@dataclass(frozen=True, eq=False)
class ScaleStep:
    """A dropout in training mode: the mask (times 1 / (1 - p)) the forward used."""

    scale: Tensor


@dataclass(frozen=True, eq=False)
class ReshapeStep:
    """A flatten: the shape of its input."""

    shape: torch.Size


#: One recorded leaf: an affine layer (BatchNorm merged in) or one of the steps above.
TapeStep = Union[AffineLayer, PoolStep, ScaleStep, ReshapeStep]


@dataclass(eq=False)
class Tape:
    """What :func:`trace` recorded: one step per leaf that changes relevance, in forward order."""

    steps: list[TapeStep] = field(default_factory=list)

    @property
    def affine_layers(self) -> list[AffineLayer]:
        """The affine layers, in forward order."""
        return [step for step in self.steps if isinstance(step, AffineLayer)]


def _merge_batchnorm(layer: AffineLayer, bn: nn.BatchNorm1d | nn.BatchNorm2d, z0: Tensor) -> AffineLayer:
    """Run ``bn`` on ``z0`` and fold it into ``layer``'s effective weight and bias."""
    if bn.training or bn.running_mean is None or bn.running_var is None:
        batch_stats = True
        out = bn(z0)  # the real forward: updates the running statistics
        dims = [d for d in range(z0.dim()) if d != 1]
        mean, var = z0.mean(dims), z0.var(dims, unbiased=False)
    else:
        batch_stats = False
        mean, var = bn.running_mean, bn.running_var
    scale = bn.weight / (var + bn.eps) ** 0.5  # zennit's expression, to the last bit
    shape = (-1,) + (1,) * (layer.weight.dim() - 1)
    bias = layer.bias if layer.bias is not None else torch.zeros_like(mean)
    weight, bias = layer.weight * scale.reshape(shape), (bias - mean) * scale + bn.bias
    if not batch_stats:
        # Eval: compute the output with the merged layer, as zennit's canonizer does. LRP
        # divides by z, so z must be the same expression, not merely the same value.
        out = layer.forward(layer.x, weight, bias)
    return AffineLayer(layer.module, layer.x, out, weight, bias, layer.nonnegative)


def trace(model: nn.Module, x: Tensor) -> tuple[Tensor, Tape]:
    """Run ``model`` on ``x`` leaf by leaf and record what LRP needs.

    Parameters
    ----------
    model
        A model for which :func:`supports` is true; its train/eval mode is respected.
    x
        Input batch.

    Returns
    -------
    logits, tape
        The model output (equal to ``model(x)``, with graph) and the record.
    """
    tape = Tape()
    h = x
    # Whether h >= 0 is known from the structure (after a ReLU, through pooling, dropout and
    # flatten); the input itself is checked by the rule if needed.
    nonneg: bool | None = None
    for leaf in _leaves(model):
        if isinstance(leaf, (nn.Conv2d, nn.Linear)):
            # In eval mode a following BatchNorm replaces this output (see _merge_batchnorm).
            layer = AffineLayer(leaf, h, leaf(h), leaf.weight, leaf.bias, nonneg)
            tape.steps.append(layer)
            h, nonneg = layer.z, False
        elif isinstance(leaf, (nn.BatchNorm1d, nn.BatchNorm2d)):
            previous = tape.steps[-1]  # supports(): a BatchNorm directly follows an affine layer
            if not isinstance(previous, AffineLayer):
                raise TypeError(f"{leaf} does not follow a Conv2d or Linear layer")
            merged = _merge_batchnorm(previous, leaf, h)
            tape.steps[-1] = merged
            h = merged.z
        elif isinstance(leaf, nn.MaxPool2d):
            out, idx = F.max_pool2d(h, leaf.kernel_size, leaf.stride, return_indices=True)
            tape.steps.append(PoolStep(leaf, h.shape, idx))
            h = out
        elif isinstance(leaf, nn.Dropout):
            if leaf.training and leaf.p > 0:
                scale = F.dropout(torch.ones_like(h), leaf.p, training=True)
                tape.steps.append(ScaleStep(scale))
                h = h * scale
        elif isinstance(leaf, nn.Flatten):
            tape.steps.append(ReshapeStep(h.shape))
            h = leaf(h)
        else:  # ReLU, Identity: relevance passes through
            h = leaf(h)
            nonneg = True if isinstance(leaf, nn.ReLU) else nonneg
    return h, tape


def propagate(tape: Tape, seed: Tensor, choose: RuleChooser) -> Tensor:
    """Relevance at the input for the output relevance ``seed``.

    The result is differentiable (with respect to the parameters, the input and the seed)
    whenever gradients are enabled; call it under :func:`torch.no_grad` for a plain
    heatmap.

    Parameters
    ----------
    tape
        From :func:`trace`.
    seed
        Output relevance, shape of the logits (zennit's ``attr_output``, e.g. one-hot).
    choose
        The composite: the rule for each affine layer.
    """
    layers = tape.affine_layers
    index = {id(layer): i for i, layer in enumerate(layers)}
    r = seed
    for step in reversed(tape.steps):
        if isinstance(step, AffineLayer):
            r = choose(index[id(step)], step)(step, r)
        elif isinstance(step, PoolStep):
            r = F.max_unpool2d(r, step.indices, step.kernel_size, step.stride,
                               output_size=step.shape[-2:])
        elif isinstance(step, ScaleStep):
            r = r * step.scale
        else:
            r = r.reshape(step.shape)
    return r
