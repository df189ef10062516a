"""Hidden activations of a network, flattened and L2-normalised, for similarity search.

The similar-cases view compares slices by the activations of the network's hidden layers
(after each pooling block and after the dense layer). This module reads those activations
with forward hooks: one forward pass per batch serves every requested layer, with no
autograd graph. Each layer's activations are flattened and scaled to unit L2 norm, so
that a dot product is the cosine similarity the k-NN index and BiLRP both use.

Layers are named as in :func:`torch.nn.Module.named_modules` (``api.feature_layers``
returns such names, shallow to deep).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from lrpstudio.core.errors import CancelledError, InputError, ModelError
from lrpstudio.core.jobs import Cancel, ProgressCallback, is_cancelled
from lrpstudio.core.models import feature_layers

class LayerNotFoundError(InputError):
    """A layer name does not name a module of the model."""


def resolve_layer(model: torch.nn.Module, name: str) -> torch.nn.Module:
    """The sub-module of ``model`` called ``name`` (as in ``named_modules``).

    Raises
    ------
    LayerNotFoundError
        When no module has that name; the message lists the names that exist.
    """
    modules = dict(model.named_modules())
    if name not in modules or name == "":
        raise LayerNotFoundError(
            f"the model has no layer {name!r}",
            expected=[n for n in modules if n][:40], actual=name,
        )
    return modules[name]


def model_layers(model: torch.nn.Module) -> list[str]:
    """The model's feature layers, shallow to deep (``api.feature_layers``).

    The model registry's list for its networks; for other models (no ``feature_names``,
    no container children) the outputs of every pooling module and the activation after
    each hidden dense layer (every Linear but the last), the paper's choice for its CNN.
    """
    try:
        return list(feature_layers(model))
    except ModelError:
        return default_feature_layers(model)


def default_feature_layers(model: torch.nn.Module) -> list[str]:
    """Pooling outputs and the activations after each hidden dense layer, in module order."""
    pool_types = (torch.nn.MaxPool2d, torch.nn.AvgPool2d, torch.nn.AdaptiveAvgPool2d,
                  torch.nn.AdaptiveMaxPool2d)
    named = [(n, m) for n, m in model.named_modules() if n]
    linears = [i for i, (_, m) in enumerate(named) if isinstance(m, torch.nn.Linear)]
    names: list[str] = []
    for i, (name, module) in enumerate(named):
        if isinstance(module, pool_types):
            names.append(name)
        elif linears and i in linears[:-1]:
            # the hidden representation is the activation after the dense layer, when the
            # next module is one (ReLU); otherwise the dense output itself
            nxt = named[i + 1] if i + 1 < len(named) else None
            is_act = nxt is not None and isinstance(nxt[1], (torch.nn.ReLU, torch.nn.LeakyReLU,
                                                             torch.nn.ELU, torch.nn.GELU))
            names.append(nxt[0] if nxt is not None and is_act else name)
    return names


def _as_batch(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    tensor = torch.as_tensor(images)
    if tensor.ndim == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 4:
        raise InputError("images must be (N, C, H, W) or (C, H, W)",
                         expected="4 dimensions", actual=tuple(tensor.shape))
    return tensor


def l2_normalise(features: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit L2 norm (an all-zero row stays zero)."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, eps)


@torch.no_grad()
def extract_features(
    model: torch.nn.Module,
    images: np.ndarray | torch.Tensor,
    layers: Sequence[str],
    *,
    batch_size: int = 64,
    normalise: bool = True,
    device: str | torch.device | None = None,
    progress: ProgressCallback | None = None,
    cancel: Cancel | None = None,
) -> dict[str, np.ndarray]:
    """Flattened (and by default L2-normalised) activations of ``layers`` for ``images``.

    Parameters
    ----------
    model
        The network; it is put in eval mode for the pass (dropout off) and restored after.
    images
        (N, C, H, W) or one (C, H, W) slice.
    layers
        Module names (see :func:`model_layers`).
    batch_size
        Slices per forward pass.
    normalise
        Scale each row to unit L2 norm (cosine geometry).
    device
        Where to run; default: the model's device.
    progress, cancel
        Progress callback ``(done, total, message)`` and a cancel token polled per batch.

    Returns
    -------
    dict
        Layer name -> float32 array (N, D_layer).

    Raises
    ------
    LayerNotFoundError
        A name is not a module of ``model``.
    CancelledError
        When ``cancel.cancelled`` became true.
    """
    batch = _as_batch(images)
    modules = {name: resolve_layer(model, name) for name in layers}
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    dtype = next((p.dtype for p in model.parameters()), torch.float32)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    captured: dict[str, torch.Tensor] = {}
    handles = [module.register_forward_hook(_capture(captured, name))
               for name, module in modules.items()]
    was_training = model.training
    model.eval()
    try:
        n = batch.shape[0]
        for start in range(0, n, batch_size):
            if is_cancelled(cancel):
                raise CancelledError("feature extraction cancelled")
            x = batch[start:start + batch_size].to(device=device, dtype=dtype)
            model(x)
            for name in layers:
                chunks[name].append(captured[name].reshape(x.shape[0], -1).float().cpu().numpy())
            if progress is not None:
                progress(min(start + batch_size, n), n, "features")
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    out = {name: np.concatenate(parts, axis=0) if parts else np.zeros((0, 0), np.float32)
           for name, parts in chunks.items()}
    if normalise:
        out = {name: l2_normalise(f).astype(np.float32) for name, f in out.items()}
    return out


def _capture(store: dict[str, torch.Tensor], name: str) -> Callable[..., None]:
    def hook(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
        store[name] = output.detach()
    return hook
