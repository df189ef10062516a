"""The LRP composites by name: one registry for the loss, the heatmaps, the scores and BiLRP.

==============================  =====================  ==============  ========  ========  =====
name                            first conv/linear      other convs     linear    guidance  BiLRP
==============================  =====================  ==============  ========  ========  =====
``epsilon_plus_flat``           Flat                   ZPlus           Epsilon   yes       yes
``epsilon_plus``                ZPlus                  ZPlus           Epsilon   yes
``epsilon_alpha2_beta1_flat``   Flat                   AlphaBeta(2,1)  Epsilon   yes
``epsilon_alpha2_beta1``        AlphaBeta(2,1)         AlphaBeta(2,1)  Epsilon   yes
``epsilon_gamma_box``           ZBox (first conv)      Gamma(0.25)     Epsilon   yes
``epsilon``                     Epsilon                Epsilon         Epsilon   yes       yes
``gamma_epsilon``               Gamma(0.25)            Gamma(0.25)     Epsilon             yes
==============================  =====================  ==============  ========  ========  =====

*guidance*: offered for the guidance loss, the per-epoch heatmaps and the evaluation
scores (:data:`COMPOSITES`, the training form's and ``--composite``'s choices). *BiLRP*:
offered as a BiLRP rule set (:data:`BILRP_COMPOSITES`, ``similar --rules``). BiLRP runs
its sets with a stabiliser of 1e-9 where the entry says so (``gamma_epsilon`` and
``epsilon``: zennit's 1e-6 leaks about 1e-5 of the similarity on a small network's weak
activations), with zennit's stock rules on the zennit engine (BiLRP needs no weight
gradient). ``gamma_epsilon`` is the BiLRP paper's recipe and BiLRP's default.

ReLU passes relevance through, BatchNorm is merged into the layer before it, max-pool and
dropout use their gradient. ZBox needs the input's bounds: by default each sample's own
per-channel minimum and maximum (so a heatmap never depends on the rest of the batch).

:func:`rule_chooser` gives the explicit engine's rules (:mod:`lrpstudio.core.xai.rules`);
:func:`zennit_composite` a zennit composite whose rules keep the autograd graph through
their modified weights (:mod:`lrpstudio.core.xai.zennit_graph`; ``keep_graph=False``
gives zennit's stock behaviour, the reference in tests); :func:`bilrp_rules` and
:func:`bilrp_composite` the same for a BiLRP rule set.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

import torch
from torch import Tensor
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import (EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox,
                               EpsilonPlus, EpsilonPlusFlat, LayerMapComposite, layer_map_base)
from zennit.core import Composite
from zennit.rules import Epsilon as ZEpsilon
from zennit.rules import Gamma as ZGamma
from zennit.types import Convolution

from lrpstudio.core.errors import ExplanationError, InputError
from lrpstudio.core.xai import rules as R
from lrpstudio.core.xai.explicit import RuleChooser
from lrpstudio.core.xai.rules import DEFAULT_STABILIZER, AffineLayer, Rule
from lrpstudio.core.xai.zennit_graph import GraphMergeBatchNorm, graph_keeping

#: The paper's choice and the default of the loss, the heatmaps and the scores.
DEFAULT_COMPOSITE = "epsilon_plus_flat"
#: BiLRP's default rule set (gamma in the convolutions, epsilon in dense layers).
DEFAULT_BILRP_COMPOSITE = "gamma_epsilon"
#: BiLRP's stabiliser where an entry asks for it: it only guards against 0/0.
BILRP_STABILIZER = 1e-9

#: Rule kinds of the table: how the explicit engine builds each (``stabilizer`` given).
_EXPLICIT_RULES: Mapping[str, Callable[[float], Rule]] = MappingProxyType({
    "flat": lambda s: R.Flat(stabilizer=s),
    "zplus": lambda s: R.ZPlus(stabilizer=s),
    "alpha2_beta1": lambda s: R.AlphaBeta(stabilizer=s),
    "gamma": lambda s: R.Gamma(gamma=0.25, stabilizer=s),
    "epsilon": lambda s: R.Epsilon(epsilon=s),
})

#: ``(canonizers, low, high, stabilizer) -> Composite``: zennit's composite of an entry.
ZennitFactory = Callable[[list[Any] | None, Tensor | None, Tensor | None, float], Composite]


def _stock(kind: Callable[..., Composite]) -> ZennitFactory:
    """One of zennit's named composites (its own stabilisers)."""
    return lambda canonizers, _low, _high, _s: kind(canonizers=canonizers)


def _box(canonizers: list[Any] | None, low: Tensor | None, high: Tensor | None, _s: float) -> Composite:
    if low is None or high is None:
        raise ExplanationError("epsilon_gamma_box needs the input bounds low and high")
    return EpsilonGammaBox(low=low, high=high, canonizers=canonizers)


def _layer_map(conv: str) -> ZennitFactory:
    """``conv`` (epsilon or gamma) in every convolution, epsilon in every linear layer."""
    def build(canonizers: list[Any] | None, _low: Tensor | None, _high: Tensor | None, s: float) -> Composite:
        rule = ZGamma(gamma=0.25, stabilizer=s) if conv == "gamma" else ZEpsilon(epsilon=s)
        return LayerMapComposite(layer_map=layer_map_base(stabilizer=s) + [
            (Convolution, rule), (torch.nn.Linear, ZEpsilon(epsilon=s))], canonizers=canonizers)
    return build


@dataclass(frozen=True)
class CompositeEntry:
    """One composite of the registry.

    Attributes
    ----------
    name
        The name users choose (``--composite``, ``--rules``, the training form).
    first, conv, dense
        Rule kinds (:data:`_EXPLICIT_RULES`'s keys, or ``"zbox"``) of the first affine
        layer (None: as the others), the other convolutions and the linear layers.
    guidance
        Offered for the guidance loss, the heatmaps and the scores.
    bilrp
        Offered as a BiLRP rule set.
    bilrp_stabilizer
        The stabiliser BiLRP runs this entry with.
    zennit
        Builds the zennit composite.
    """

    name: str
    first: str | None
    conv: str
    dense: str
    guidance: bool
    bilrp: bool
    bilrp_stabilizer: float
    zennit: ZennitFactory

    @property
    def flat(self) -> bool:
        """True when the first layer's rule is Flat (it ignores the input's values)."""
        return self.first == "flat"

    @property
    def needs_bounds(self) -> bool:
        """True when the rules need the input's bounds (ZBox)."""
        return self.first == "zbox"


def _entry(name: str, first: str | None, conv: str, zennit: ZennitFactory, *, guidance: bool = True,
           bilrp: bool = False, bilrp_stabilizer: float = DEFAULT_STABILIZER) -> CompositeEntry:
    return CompositeEntry(name, first, conv, "epsilon", guidance, bilrp, bilrp_stabilizer, zennit)


#: Every composite, by name (read-only).
REGISTRY: Mapping[str, CompositeEntry] = MappingProxyType({e.name: e for e in (
    _entry("epsilon_plus_flat", "flat", "zplus", _stock(EpsilonPlusFlat), bilrp=True),
    _entry("epsilon_plus", None, "zplus", _stock(EpsilonPlus)),
    _entry("epsilon_alpha2_beta1_flat", "flat", "alpha2_beta1", _stock(EpsilonAlpha2Beta1Flat)),
    _entry("epsilon_alpha2_beta1", None, "alpha2_beta1", _stock(EpsilonAlpha2Beta1)),
    _entry("epsilon_gamma_box", "zbox", "gamma", _box),
    _entry("epsilon", None, "epsilon", _layer_map("epsilon"), bilrp=True,
           bilrp_stabilizer=BILRP_STABILIZER),
    _entry("gamma_epsilon", None, "gamma", _layer_map("gamma"), guidance=False, bilrp=True,
           bilrp_stabilizer=BILRP_STABILIZER),
)})
#: Composites for the guidance loss, the heatmaps and the scores, in the order offered.
COMPOSITES: tuple[str, ...] = tuple(name for name, e in REGISTRY.items() if e.guidance)
#: BiLRP rule sets: the default first, then those with BiLRP's own stabiliser.
BILRP_COMPOSITES: tuple[str, ...] = tuple(sorted(
    (name for name, e in REGISTRY.items() if e.bilrp),
    key=lambda name: (name != DEFAULT_BILRP_COMPOSITE, REGISTRY[name].bilrp_stabilizer)))


def check_composite(name: str) -> str:
    """Return ``name`` if it is a guidance composite, else raise :class:`ExplanationError`."""
    if name not in COMPOSITES:
        raise ExplanationError("unknown LRP composite", expected=" or ".join(COMPOSITES), actual=name)
    return name


def check_bilrp_composite(name: str) -> CompositeEntry:
    """The registry entry of BiLRP rule set ``name``; an unknown one is an :class:`InputError`."""
    if name not in BILRP_COMPOSITES:
        raise InputError(f"unknown BiLRP rule set {name!r}", expected=BILRP_COMPOSITES, actual=name)
    return REGISTRY[name]


def input_bounds(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-sample, per-channel minimum and maximum of ``x`` (N,C,1,1), detached: ZBox's box."""
    flat = x.detach().flatten(2)
    return flat.amin(-1)[..., None, None], flat.amax(-1)[..., None, None]


def bounds_for(name: str, x: Tensor) -> tuple[Tensor | None, Tensor | None]:
    """:func:`input_bounds` of ``x`` when composite ``name`` needs them, else ``(None, None)``."""
    return input_bounds(x) if REGISTRY[check_composite(name)].needs_bounds else (None, None)


def _chooser(entry: CompositeEntry, stabilizer: float, low: Tensor | None,
             high: Tensor | None) -> RuleChooser:
    conv_rule = _EXPLICIT_RULES[entry.conv](stabilizer)
    linear_rule = _EXPLICIT_RULES[entry.dense](stabilizer)
    first: Rule | None = None
    if entry.needs_bounds:
        if low is None or high is None:
            raise ExplanationError(f"{entry.name} needs the input bounds low and high")
        first = R.ZBox(low, high)
    elif entry.first is not None:
        first = _EXPLICIT_RULES[entry.first](stabilizer)

    def choose(index: int, layer: AffineLayer) -> Rule:
        # zennit's "first layer" is the first Linear-type module (for the box: first conv).
        if first is not None and index == 0 and (layer.is_conv or not entry.needs_bounds):
            return first
        return conv_rule if layer.is_conv else linear_rule

    return choose


def rule_chooser(name: str, low: Tensor | None = None, high: Tensor | None = None) -> RuleChooser:
    """The explicit engine's rule for each affine layer of guidance composite ``name``.

    Parameters
    ----------
    name
        One of :data:`COMPOSITES`.
    low, high
        Input bounds for ZBox (``epsilon_gamma_box`` only), broadcastable to the input.
    """
    return _chooser(REGISTRY[check_composite(name)], DEFAULT_STABILIZER, low, high)


def zennit_composite(name: str, low: Tensor | None = None, high: Tensor | None = None,
                     keep_graph: bool = True, merge_batchnorm: bool = True) -> Composite:
    """A fresh zennit composite for guidance composite ``name``.

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
    entry = REGISTRY[check_composite(name)]
    canonizers: list[Any] | None = None
    if merge_batchnorm:
        canonizers = [GraphMergeBatchNorm() if keep_graph else SequentialMergeBatchNorm()]
    composite = entry.zennit(canonizers, low, high, DEFAULT_STABILIZER)
    return graph_keeping(composite) if keep_graph else composite


def bilrp_rules(name: str) -> RuleChooser:
    """The explicit engine's rules for BiLRP rule set ``name`` (the values of :func:`bilrp_composite`)."""
    entry = check_bilrp_composite(name)
    return _chooser(entry, entry.bilrp_stabilizer, None, None)


def bilrp_composite(name: str) -> Composite:
    """A fresh zennit composite (stock rules, BatchNorm merged) for BiLRP rule set ``name``."""
    entry = check_bilrp_composite(name)
    return entry.zennit([SequentialMergeBatchNorm()], None, None, entry.bilrp_stabilizer)
