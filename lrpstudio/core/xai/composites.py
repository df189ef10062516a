"""LRP composites by name, for both engines.

Names (zennit's, plus plain ``epsilon``):

==============================  =====================  ==============  =============
name                            first conv/linear      other convs     linear layers
==============================  =====================  ==============  =============
``epsilon_plus_flat``           Flat                   ZPlus           Epsilon
``epsilon_plus``                ZPlus                  ZPlus           Epsilon
``epsilon_alpha2_beta1_flat``   Flat                   AlphaBeta(2,1)  Epsilon
``epsilon_alpha2_beta1``        AlphaBeta(2,1)         AlphaBeta(2,1)  Epsilon
``epsilon_gamma_box``           ZBox (first conv)      Gamma(0.25)     Epsilon
``epsilon``                     Epsilon                Epsilon         Epsilon
==============================  =====================  ==============  =============

ReLU passes relevance through, BatchNorm is merged into the layer before it, max-pool and
dropout use their gradient. ZBox needs the input's bounds: by default each sample's own
per-channel minimum and maximum (so a heatmap never depends on the rest of the batch).

:func:`rule_chooser` gives the explicit engine's rules (:mod:`lrpstudio.core.xai.rules`).
:func:`zennit_composite` gives a zennit composite whose rule instances keep the autograd
graph through their modified weights (docs/method.md, trap 1) without patching zennit: each
rule's ParamMods are replaced, on our own instances only, by :class:`GraphParamMod`, and
BatchNorm is merged by :class:`GraphMergeBatchNorm` (zennit's canonizer works on
``.data`` too). ``keep_graph=False`` gives zennit's stock behaviour (the reference in tests).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import Tensor, nn
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import (EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox,
                               EpsilonPlus, EpsilonPlusFlat, LayerMapComposite, layer_map_base)
from zennit.core import BasicHook, Composite, ParamMod, zero_wrap
from zennit.rules import Epsilon as ZEpsilon
from zennit.types import Convolution

from lrpstudio.core.errors import ExplanationError
from lrpstudio.core.xai import rules as R
from lrpstudio.core.xai.explicit import RuleChooser
from lrpstudio.core.xai.rules import AffineLayer, Rule

COMPOSITES: tuple[str, ...] = (
    "epsilon_plus_flat", "epsilon_plus", "epsilon_alpha2_beta1_flat", "epsilon_alpha2_beta1",
    "epsilon_gamma_box", "epsilon",
)
#: The paper's choice and the default everywhere.
DEFAULT_COMPOSITE = "epsilon_plus_flat"


def check_composite(name: str) -> str:
    """Return ``name`` if it is a known composite, else raise :class:`ExplanationError`."""
    if name not in COMPOSITES:
        raise ExplanationError("unknown LRP composite", expected=" or ".join(COMPOSITES), actual=name)
    return name


def input_bounds(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-sample, per-channel minimum and maximum of ``x`` (N,C,1,1), detached: ZBox's box."""
    flat = x.detach().flatten(2)
    return flat.amin(-1)[..., None, None], flat.amax(-1)[..., None, None]


def rule_chooser(name: str, low: Tensor | None = None, high: Tensor | None = None) -> RuleChooser:
    """The explicit engine's rule for each affine layer of composite ``name``.

    Parameters
    ----------
    name
        One of :data:`COMPOSITES`.
    low, high
        Input bounds for ZBox (``epsilon_gamma_box`` only), broadcastable to the input.
    """
    check_composite(name)
    conv_rule: Rule = {
        "epsilon_plus_flat": R.ZPlus(), "epsilon_plus": R.ZPlus(),
        "epsilon_alpha2_beta1_flat": R.AlphaBeta(), "epsilon_alpha2_beta1": R.AlphaBeta(),
        "epsilon_gamma_box": R.Gamma(), "epsilon": R.Epsilon(),
    }[name]
    linear_rule = R.Epsilon()
    first: Rule | None = None
    if name.endswith("_flat"):
        first = R.Flat()
    elif name == "epsilon_gamma_box":
        if low is None or high is None:
            raise ExplanationError("epsilon_gamma_box needs the input bounds low and high")
        first = R.ZBox(low, high)

    def choose(index: int, layer: AffineLayer) -> Rule:
        # zennit's "first layer" is the first Linear-type module (for the box: first conv).
        if first is not None and index == 0 and (layer.is_conv or name != "epsilon_gamma_box"):
            return first
        return conv_rule if layer.is_conv else linear_rule

    return choose


class GraphParamMod(ParamMod):
    """A ParamMod that builds the modified parameters from the live tensors, keeping the graph.

    zennit's ParamMod wraps ``modifier(param.data)`` in a new Parameter, cutting the
    dependence on the weights. Here the modified tensor stays an expression of the
    parameter; it is put in the module's parameter table for the duration of the rule's
    forward only, and the original Parameter objects are always put back (an optimizer
    holding them keeps working, docs/method.md, trap 4).
    """

    @classmethod
    def from_parammod(cls, mod: ParamMod) -> "GraphParamMod":
        """Same modifier and options as ``mod``."""
        return cls(mod.modifier, param_keys=mod.param_keys, zero_params=mod.zero_params,
                   require_params=mod.require_params)

    @contextmanager
    def __call__(self, module: nn.Module) -> Iterator[nn.Module]:
        stored: dict[str, nn.Parameter] = {}
        try:
            keys = self.param_keys
            if keys is None:
                keys = [name for name, _ in module.named_parameters(recurse=False)]
            missing = [key for key in keys if not hasattr(module, key)]
            if self.require_params and missing:
                raise RuntimeError(f"Module {module} requires missing parameters: {missing}")
            modifier = zero_wrap(self.zero_params or [])(self.modifier)
            for key in keys:
                param = module._parameters.get(key)
                if key not in missing and param is not None:
                    stored[key] = param
                    module._parameters[key] = modifier(param, key)  # a tensor with graph
            yield module
        finally:
            for key, value in stored.items():
                module._parameters[key] = value


class GraphMergeBatchNorm(SequentialMergeBatchNorm):
    """zennit's ``SequentialMergeBatchNorm`` with merged parameters that keep the graph.

    zennit merges a BatchNorm into the layer before it through ``.data``, so gradients with
    respect to the BatchNorm's and the layer's parameters are lost. Here the merged weight
    and bias are expressions of the live parameters, placed in the modules' parameter
    tables while the composite is registered; the original Parameter and buffer objects
    are put back on removal. Values are zennit's, to the last bit (including its merged
    BatchNorm still dividing by ``sqrt(1 + eps)``). As with zennit, the merge uses the
    running statistics: exact in eval mode (the explicit engine also handles train mode).
    """

    def register(self, linears: tuple[nn.Module, ...], batch_norm: nn.Module) -> None:
        self.linears = linears
        self.batch_norm = batch_norm
        self.linear_params = [(m._parameters["weight"], m._parameters.get("bias")) for m in linears]
        self.batch_norm_params = {
            "weight": batch_norm._parameters["weight"], "bias": batch_norm._parameters["bias"],
            "running_mean": batch_norm._buffers["running_mean"],
            "running_var": batch_norm._buffers["running_var"],
        }
        bn = batch_norm
        scale = bn.weight / (bn.running_var + bn.eps) ** 0.5
        for module in linears:
            weight, bias = module._parameters["weight"], module._parameters.get("bias")
            index = (slice(None),) + (None,) * (weight.dim() - 1)
            if bias is None:
                bias = torch.zeros_like(bn.running_mean)
            module._parameters["weight"] = weight * scale[index]
            module._parameters["bias"] = (bias - bn.running_mean) * scale + bn.bias
        bn._buffers["running_mean"] = torch.zeros_like(bn.running_mean)
        bn._buffers["running_var"] = torch.ones_like(bn.running_var)
        bn._parameters["weight"] = torch.ones_like(bn.weight)
        bn._parameters["bias"] = torch.zeros_like(bn.bias)

    def remove(self) -> None:
        for module, (weight, bias) in zip(self.linears, self.linear_params):
            module._parameters["weight"] = weight
            module._parameters["bias"] = bias
        for key in ("weight", "bias"):
            self.batch_norm._parameters[key] = self.batch_norm_params[key]
        for key in ("running_mean", "running_var"):
            self.batch_norm._buffers[key] = self.batch_norm_params[key]


def keep_graph(rule: object) -> object:
    """Swap the ParamMods of one (our own) zennit rule instance for :class:`GraphParamMod`."""
    if isinstance(rule, BasicHook):
        rule.param_modifiers = tuple(
            GraphParamMod.from_parammod(ParamMod.ensure(mod)) for mod in rule.param_modifiers)
    return rule


def _graph_keeping(composite: Composite) -> Composite:
    for attr in ("layer_map", "first_map"):
        for _, rule in getattr(composite, attr, []):
            keep_graph(rule)
    return composite


def zennit_composite(name: str, low: Tensor | None = None, high: Tensor | None = None,
                     keep_graph: bool = True, merge_batchnorm: bool = True) -> Composite:
    """A fresh zennit composite for ``name``.

    Parameters
    ----------
    name
        One of :data:`COMPOSITES`.
    low, high
        Input bounds (full input shape) for ``epsilon_gamma_box``.
    keep_graph
        True: rule weights keep the autograd graph (use for training). False: zennit's own
        rules untouched (a reference for the values).
    merge_batchnorm
        Merge each BatchNorm into the Conv/Linear before it: :class:`GraphMergeBatchNorm`
        with ``keep_graph``, else zennit's own ``SequentialMergeBatchNorm``.
    """
    check_composite(name)
    canonizers = None
    if merge_batchnorm:
        canonizers = [GraphMergeBatchNorm() if keep_graph else SequentialMergeBatchNorm()]
    if name == "epsilon_gamma_box":
        if low is None or high is None:
            raise ExplanationError("epsilon_gamma_box needs the input bounds low and high")
        composite: Composite = EpsilonGammaBox(low=low, high=high, canonizers=canonizers)
    elif name == "epsilon":
        composite = LayerMapComposite(layer_map=layer_map_base() + [
            (Convolution, ZEpsilon()), (torch.nn.Linear, ZEpsilon())], canonizers=canonizers)
    else:
        factory = {"epsilon_plus_flat": EpsilonPlusFlat, "epsilon_plus": EpsilonPlus,
                   "epsilon_alpha2_beta1_flat": EpsilonAlpha2Beta1Flat,
                   "epsilon_alpha2_beta1": EpsilonAlpha2Beta1}[name]
        composite = factory(canonizers=canonizers)
    return _graph_keeping(composite) if keep_graph else composite
