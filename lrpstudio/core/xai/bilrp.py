"""BiLRP (Eberle et al., TPAMI 2022): which patches of two slices make them similar.

The similarity of two slices at a feature layer is the dot product of their (projected,
L2-normalised) activations,

    y(x, x') = < P phi(x) / |phi(x)|,  P phi(x') / |phi(x')| >,

the same cosine geometry the k-NN search uses. ``P`` is a fixed random (K x D) matrix
drawn from a seeded :class:`torch.Generator` (entries N(0, 1/K), so that
E[<Pu, Pv>] = <u, v>); projecting keeps the whole representation instead of a handful of
top neurons, which carry almost nothing of the similarity. With ``R^(m)(x)`` the LRP
relevance of projected feature ``m`` (summed over channels, sum-pooled into patches),

    R_ii' = sum_m R_i^(m)(x) R_i'^(m)(x').

If the rules conserve relevance, ``sum_ii' R_ii' = y(x, x')`` (conservation).

One image's ``K`` explanations (its *side*) are computed together. On plain sequential
networks (the registry's) the explicit engine runs one forward of the slice and pushes the
K seeds through one batched LRP backward (:mod:`lrpstudio.core.xai.bilrp_batched`), with
the first layer fused into the patch pooling (:mod:`lrpstudio.core.xai.bilrp_head`); on
any other network zennit runs the slice repeated K times, one forward through the
composite and one backward seeding each row with its own projected feature. A side does
not depend on the other image, so the atlas sides are cached and a query costs one
batched pass per layer.

The norms ``|phi(x)|`` are treated as constants (they rescale the explanation, they do
not redistribute it), as BiLRP does for its normalisation.

Rules (``composite``; the rule sets are entries of :mod:`lrpstudio.core.xai.composites`)
------------------------------------------------------------------------------------------
``"gamma_epsilon"`` (default)
    LRP-gamma (gamma = 0.25) in convolutions, LRP-epsilon (epsilon = 1e-9, i.e. LRP-0 with a
    stabiliser) in dense layers: the BiLRP paper's recipe (gamma in the lower layers, LRP-0 /
    epsilon in the upper ones). gamma favours positive contributions, which keeps the many
    small mutually cancelling terms of deep similarity explanations from drowning the signal.
    Conserving on a bias-free ReLU network (biases absorb or inject relevance otherwise).
``"epsilon"``
    LRP-epsilon everywhere (epsilon = 1e-9): LRP-0 in practice. Conserving on a bias-free
    network; noisy on trained deep ones.
``"epsilon_plus_flat"``
    zennit's EpsilonPlusFlat (flat first layer, z+ in convolutions, epsilon in dense layers).
Pooling and activations: max-pooling passes relevance to the winner (its gradient),
activations and batch norms pass it through, average pooling and sums share it in
proportion. A zennit Composite instance, or a function returning one, is also accepted
(it runs on the zennit engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Union

import numpy as np
import torch
from zennit.core import Composite

from lrpstudio.core.errors import CancelledError, InputError
from lrpstudio.core.jobs import Cancel, ProgressCallback, is_cancelled
from lrpstudio.core.xai.bilrp_batched import prepare, run
from lrpstudio.core.xai.bilrp_math import combine, projection_matrix, sum_pool
from lrpstudio.core.xai.composites import DEFAULT_BILRP_COMPOSITE, bilrp_composite, bilrp_rules
from lrpstudio.core.xai.explicit import supports, trace
from lrpstudio.core.xai.features import resolve_layer

CompositeSpec = Union[str, Composite, Callable[[], Composite]]
#: Largest layer explained without projection (one LRP pass per feature).
MAX_EXACT_FEATURES = 16384


def resolve_composite(spec: CompositeSpec = DEFAULT_BILRP_COMPOSITE) -> Composite:
    """A fresh zennit composite: a registered BiLRP rule set by name, or the given one or factory."""
    if isinstance(spec, Composite):
        return spec
    if isinstance(spec, str):
        return bilrp_composite(spec)
    return spec()


@dataclass(frozen=True)
class BilrpConfig:
    """What a BiLRP explanation depends on besides the model and the images.

    Attributes
    ----------
    layer
        Feature layer name (``api.feature_layers``).
    projection_dim
        K, the number of random projections; None: no projection (P = identity, one
        explanation per feature: exact BiLRP, for small layers only).
    pool
        Patch size in pixels (sum-pooling; a border patch is smaller).
    seed
        Seed of the projection matrix.
    composite
        LRP rule set (name, see the module doc).
    normalize
        Divide by ``|phi(x)|`` (cosine geometry, as the k-NN); False: plain dot product.
    chunk
        Projections per backward pass (memory bound); None = all K at once.
    engine
        ``"auto"``: the explicit engine when it supports the model (plain sequential
        networks: one forward of the slice, then the K relevances in one batched backward),
        else zennit (the slice repeated K times, one forward and one backward through the
        composite's hooks). ``"explicit"`` or ``"zennit"`` force one.
    unfused
        Explicit engine only: do not fuse the first layer with the patch pooling
        (:mod:`lrpstudio.core.xai.bilrp_head`); the same values, slower (for tests).
    """

    layer: str
    projection_dim: int | None = 100
    pool: int = 8
    seed: int = 0
    composite: CompositeSpec = DEFAULT_BILRP_COMPOSITE
    normalize: bool = True
    chunk: int | None = None
    engine: str = "auto"
    unfused: bool = False


class _Stop(Exception):
    """Raised by the capture hook: nothing after the feature layer needs to run."""


def _single(x: torch.Tensor | np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(x)
    if t.ndim == 4 and t.shape[0] == 1:
        t = t[0]
    if t.ndim != 3:
        raise InputError("BiLRP explains one slice (C, H, W) or (1, C, H, W) at a time",
                         expected="(C, H, W)", actual=tuple(t.shape))
    return t


class BilrpExplainer:
    """BiLRP for one model and one :class:`BilrpConfig`, with a cache of image sides.

    Parameters
    ----------
    model
        The network (put in eval mode during each pass, restored after).
    config
        Layer, K, patch size, seed, rules.

    Notes
    -----
    The cache belongs to this explainer: make a new one when the model's weights change.
    """

    def __init__(self, model: torch.nn.Module, config: BilrpConfig) -> None:
        self.model = model
        self.config = config
        self.module = resolve_layer(model, config.layer)
        if config.engine not in ("auto", "explicit", "zennit"):
            raise InputError("unknown BiLRP engine", expected="auto, explicit or zennit",
                             actual=config.engine)
        if isinstance(config.composite, str):
            bilrp_composite(config.composite)  # fail early on an unknown rule set
        k = 1 if config.projection_dim is None else config.projection_dim
        if config.pool < 1 or k < 1 or (config.chunk is not None and config.chunk < 1):
            raise InputError("pool, projection_dim and chunk must be at least 1", expected=">= 1",
                             actual=f"pool={config.pool}, projection_dim={config.projection_dim}, "
                                    f"chunk={config.chunk}")
        self._projection: torch.Tensor | None = None
        self._cache: dict[Hashable, torch.Tensor] = {}
        named = isinstance(config.composite, str)
        self._prefix = (None if config.engine == "zennit" or not named
                        else _prefix(model, self.module))
        if self._prefix is None and config.engine == "explicit":
            raise InputError("the explicit LRP engine does not support this model "
                             "(plain nn.Sequential networks only); use engine='zennit'")
        self._rules = (bilrp_rules(config.composite)
                       if self._prefix is not None and isinstance(config.composite, str) else None)

    @property
    def engine(self) -> str:
        """``"explicit"`` or ``"zennit"``: the engine this explainer uses."""
        return "explicit" if self._prefix is not None else "zennit"

    def _param(self) -> torch.Tensor:
        return next(self.model.parameters())

    def projection(self, dim_in: int) -> torch.Tensor:
        """The (K, D) matrix for this layer (drawn once, then reused; identity without projection)."""
        p = self._param()
        if self._projection is None or self._projection.shape[1] != dim_in:
            if self.config.projection_dim is None:
                if dim_in > MAX_EXACT_FEATURES:
                    raise InputError(f"exact BiLRP (no projection) needs one pass per feature; layer "
                                     f"{self.config.layer!r} has too many", expected=f"<= {MAX_EXACT_FEATURES}",
                                     actual=dim_in)
                self._projection = torch.eye(dim_in, dtype=p.dtype, device=p.device)
            else:
                self._projection = projection_matrix(dim_in, self.config.projection_dim, self.config.seed,
                                                     dtype=p.dtype, device=p.device)
        return self._projection

    def _rows(self, x: torch.Tensor) -> int:
        """K: the projection size, or the layer's feature count without projection."""
        if self.config.projection_dim is not None:
            return self.config.projection_dim
        if self._projection is None:
            store: list[int] = []
            handle = self.module.register_forward_hook(
                lambda _m, _i, out: store.append(out[0].numel()))
            try:
                with torch.no_grad():
                    self.model(x.unsqueeze(0))
            finally:
                handle.remove()
            self.projection(store[0])
        assert self._projection is not None
        return self._projection.shape[0]

    def side(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Patch relevance of every projected feature for one slice: (K, h, w), detached.

        ``side(x).sum((1, 2))`` equals ``P phi(x) / |phi(x)|`` when the rules conserve.
        """
        x = _single(x).to(device=self._param().device, dtype=self._param().dtype)
        if self._prefix is not None:
            return self._side_explicit(x)
        k = self._rows(x)
        chunk = self.config.chunk or k
        parts = [self._side_chunk(x, start, min(start + chunk, k)) for start in range(0, k, chunk)]
        return torch.cat(parts, dim=0)

    def _side_explicit(self, x: torch.Tensor) -> torch.Tensor:
        assert self._prefix is not None and self._rules is not None  # set together in __init__
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                phi, tape = trace(self._prefix, x.unsqueeze(0))
                flat = phi.reshape(1, -1)
                scale = flat.norm().clamp_min(1e-12) if self.config.normalize else 1.0
                projection = self.projection(flat.shape[1])
                steps, pooled = prepare(tape, self._rules, None if self.config.unfused else self.config.pool)
                k = projection.shape[0]
                chunk = self.config.chunk or k
                parts = []
                for start in range(0, k, chunk):
                    # LRP-0 through the projection: feature d of row m gets phi_d P_md (/ |phi|)
                    seed = (flat * projection[start:start + chunk] / scale).reshape(
                        (-1,) + tuple(phi.shape[1:]))
                    out = run(steps, seed)
                    parts.append(out if pooled else sum_pool(out, self.config.pool))
        finally:
            self.model.train(was_training)
        return torch.cat(parts, dim=0)

    def _side_chunk(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        batch = x.unsqueeze(0).repeat(stop - start, 1, 1, 1).requires_grad_(True)
        captured: list[torch.Tensor] = []

        def capture(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
            captured.append(output)
            raise _Stop

        was_training = self.model.training
        self.model.eval()
        composite = resolve_composite(self.config.composite)
        try:
            with composite.context(self.model), torch.enable_grad():
                # registered inside the context, so it runs after zennit's own hooks
                handle = self.module.register_forward_hook(capture)
                try:
                    self.model(batch)
                except _Stop:
                    pass
                finally:
                    handle.remove()
                if not captured:
                    raise InputError(f"layer {self.config.layer!r} is not used in the forward pass")
                phi = captured[0]
                flat = phi.detach().reshape(phi.shape[0], -1)
                scale = flat[0].norm().clamp_min(1e-12) if self.config.normalize else 1.0
                # LRP-0 through the projection: feature d of row m gets phi_d P_md (/ |phi|)
                seed = flat * self.projection(flat.shape[1])[start:stop] / scale
                (relevance,) = torch.autograd.grad(phi, batch, grad_outputs=seed.reshape(phi.shape))
        finally:
            self.model.train(was_training)
        return sum_pool(relevance.detach(), self.config.pool)

    def cached_side(self, key: Hashable, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """:meth:`side` of ``x``, stored under ``key`` (e.g. an atlas row) and reused."""
        if key not in self._cache:
            self._cache[key] = self.side(x)
        return self._cache[key]

    def precompute(self, images: np.ndarray | torch.Tensor, keys: list[Hashable], *,
                   progress: ProgressCallback | None = None,
                   cancel: Cancel | None = None) -> None:
        """Fill the cache for many slices (the atlas side), with progress and cancel."""
        for i, key in enumerate(keys):
            if is_cancelled(cancel):
                raise CancelledError("BiLRP atlas precomputation cancelled")
            self.cached_side(key, images[i])
            if progress is not None:
                progress(i + 1, len(keys), "BiLRP atlas")

    def pair(self, x: torch.Tensor | np.ndarray, x_other: torch.Tensor | np.ndarray, *,
             other_key: Hashable | None = None) -> torch.Tensor:
        """R_ii' for ``x`` and ``x_other``: (h, w, h', w'); the other side cached under ``other_key``."""
        other = self.side(x_other) if other_key is None else self.cached_side(other_key, x_other)
        return combine(self.side(x), other)


def _leaves(module: torch.nn.Module) -> list[torch.nn.Module]:
    children = list(module.children())
    if not children:
        return [module]
    return [leaf for child in children for leaf in _leaves(child)]


def _prefix(model: torch.nn.Module, layer: torch.nn.Module) -> torch.nn.Sequential | None:
    """The model's leaves up to the end of ``layer``, when the explicit engine supports them."""
    if not supports(model):
        return None
    leaves = list(_leaves(model))
    ids = [id(leaf) for leaf in leaves]
    last = id(_leaves(layer)[-1])
    if last not in ids or ids.count(last) != 1:
        return None
    prefix = torch.nn.Sequential(*leaves[:ids.index(last) + 1])
    return prefix if supports(prefix) else None


def bilrp(model: torch.nn.Module, x: torch.Tensor | np.ndarray, x_other: torch.Tensor | np.ndarray,
          layer: str, projection_dim: int | None = 100, pool: int = 8, *,
          composite: str = DEFAULT_BILRP_COMPOSITE, seed: int = 0, normalize: bool = True,
          chunk: int | None = None, engine: str = "auto") -> torch.Tensor:
    """BiLRP patch-to-patch relevance of the similarity of two slices at ``layer``.

    Parameters
    ----------
    model
        The network.
    x, x_other
        Two slices, (C, H, W) or (1, C, H, W).
    layer
        Feature layer name (``api.feature_layers(model)``).
    projection_dim
        K random projections (default 100; the matrix is :func:`~lrpstudio.core.xai.bilrp_math.projection_matrix` with
        ``seed``). None: no projection, one explanation per feature (exact BiLRP; small
        layers only).
    pool
        Patch size in pixels (default 8: 128x128 slices give 16x16 patches).
    composite
        LRP rule set: ``"gamma_epsilon"`` (default), ``"epsilon"``, ``"epsilon_plus_flat"``.
    seed
        Seed of the projection.
    normalize
        Cosine geometry (divide by the feature norms) as the k-NN search uses.
    chunk
        Projections per backward pass (None: all at once).
    engine
        ``"auto"``, ``"explicit"`` or ``"zennit"`` (see :class:`BilrpConfig`).

    Returns
    -------
    torch.Tensor
        (h, w, h', w'), detached: ``R[i, j, k, l]`` is the contribution of patch (i, j) of
        ``x`` together with patch (k, l) of ``x_other``. Symmetric:
        ``bilrp(m, a, b) == bilrp(m, b, a).permute(2, 3, 0, 1)``. With conserving rules
        (e.g. ``"epsilon"`` or ``"gamma_epsilon"`` on a bias-free ReLU network),
        ``R.sum() == <P phi(x) / |phi(x)|, P phi(x') / |phi(x')|>`` (without the norms
        when ``normalize=False``; with ``P = I`` when ``projection_dim=None``), where
        ``phi`` is the flattened output of ``layer``.
    """
    config = BilrpConfig(layer=layer, projection_dim=projection_dim, pool=pool, seed=seed,
                         composite=composite, normalize=normalize, chunk=chunk, engine=engine)
    return BilrpExplainer(model, config).pair(x, x_other)
