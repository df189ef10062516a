"""zennit composites that keep the autograd graph through their modified weights.

zennit (0.5.1 and 1.0) builds a rule's modified weights from ``param.data``, cutting the
dependence on the weights (docs/method.md, trap 1), and merges BatchNorm through
``.data`` too. Without patching zennit, :func:`graph_keeping` replaces, on our own rule
instances only, each rule's ParamMods by :class:`GraphParamMod`, and
:class:`GraphMergeBatchNorm` merges BatchNorm with live tensors. The composite registry
(:mod:`lrpstudio.core.xai.composites`) applies both when a composite is built for training.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, cast

import torch
from torch import nn
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.core import BasicHook, Composite, ParamMod, zero_wrap


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
        self.linear_params = [(_params(m)["weight"], _params(m).get("bias")) for m in linears]
        bn_params, bn_buffers = _params(batch_norm), _buffers(batch_norm)
        self.batch_norm_params = {
            "weight": bn_params["weight"], "bias": bn_params["bias"],
            "running_mean": bn_buffers["running_mean"], "running_var": bn_buffers["running_var"],
        }
        mean, var = bn_buffers["running_mean"], bn_buffers["running_var"]
        scale = bn_params["weight"] / (var + batch_norm.eps) ** 0.5
        for module in linears:
            params = _params(module)
            weight, bias = params["weight"], params.get("bias")
            index = (slice(None),) + (None,) * (weight.dim() - 1)
            if bias is None:
                bias = torch.zeros_like(mean)
            params["weight"] = weight * scale[index]
            params["bias"] = (bias - mean) * scale + bn_params["bias"]
        bn_buffers["running_mean"] = torch.zeros_like(mean)
        bn_buffers["running_var"] = torch.ones_like(var)
        bn_params["weight"] = torch.ones_like(bn_params["weight"])
        bn_params["bias"] = torch.zeros_like(bn_params["bias"])

    def remove(self) -> None:
        for module, (weight, bias) in zip(self.linears, self.linear_params):
            _params(module)["weight"] = weight
            _params(module)["bias"] = bias
        for key in ("weight", "bias"):
            _params(self.batch_norm)[key] = self.batch_norm_params[key]
        for key in ("running_mean", "running_var"):
            _buffers(self.batch_norm)[key] = self.batch_norm_params[key]


def _params(module: nn.Module) -> dict[str, Any]:
    """The module's parameter table, typed to hold plain tensors too: while a composite is
    registered it holds graph-carrying tensors in place of the Parameters."""
    return cast(dict[str, Any], module._parameters)


def _buffers(module: nn.Module) -> dict[str, Any]:
    """The module's buffer table (see :func:`_params`)."""
    return cast(dict[str, Any], module._buffers)


def keep_graph(rule: object) -> object:
    """Swap the ParamMods of one (our own) zennit rule instance for :class:`GraphParamMod`."""
    if isinstance(rule, BasicHook):
        rule.param_modifiers = tuple(
            GraphParamMod.from_parammod(ParamMod.ensure(mod)) for mod in rule.param_modifiers)
    return rule


def graph_keeping(composite: Composite) -> Composite:
    """Make every rule of ``composite`` (our own instance) keep the autograd graph."""
    for attr in ("layer_map", "first_map"):
        for _, rule in getattr(composite, attr, []):
            keep_graph(rule)
    return composite
