"""Networks by name: the registry behind ``api.build_model`` and ``api.feature_layers``.

``paper``  : the paper's four-block CNN (:mod:`lrpstudio.core.models.paper`).
``vgg_bn`` : a deeper VGG-style network with batch normalisation for the paper's
             Experiment 2 (:mod:`lrpstudio.core.models.vgg`).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from lrpstudio.core.errors import ModelError
from lrpstudio.core.models.paper import PaperCNN
from lrpstudio.core.models.vgg import VGGBN

#: Smallest image side: four 2x2 poolings must leave at least one pixel.
MIN_IMAGE_SIZE = 16

_FACTORIES: dict[str, Callable[..., nn.Module]] = {
    "paper": PaperCNN,
    "vgg_bn": VGGBN,
}


def model_names() -> tuple[str, ...]:
    """Names :func:`build_model` accepts."""
    return tuple(_FACTORIES)


def build_model(name: str = "paper", image_size: int = 128, in_channels: int = 3,
                num_classes: int = 2) -> nn.Module:
    """Build a freshly initialised network by name.

    Parameters
    ----------
    name
        One of :func:`model_names` (``"paper"``, ``"vgg_bn"``).
    image_size
        Height (= width) of the input slices (>= 16; 64 or more in practice).
    in_channels
        Input channels (3: T1, T2, FLAIR).
    num_classes
        Number of output logits (2: LGG, HGG).

    Returns
    -------
    torch.nn.Module
        The network, in train mode, on the CPU, float32. Its ``feature_names``
        attribute lists the hidden layers (see :func:`feature_layers`).

    Raises
    ------
    ModelError
        Unknown name or an impossible size.
    """
    if name not in _FACTORIES:
        raise ModelError("unknown model", expected=" or ".join(_FACTORIES), actual=name)
    if int(image_size) < MIN_IMAGE_SIZE:
        raise ModelError("image size too small for four 2x2 poolings",
                         expected=f">= {MIN_IMAGE_SIZE}", actual=image_size)
    if int(in_channels) < 1 or int(num_classes) < 2:
        raise ModelError("a model needs >= 1 input channel and >= 2 classes",
                         expected="in_channels >= 1, num_classes >= 2",
                         actual=f"in_channels={in_channels}, num_classes={num_classes}")
    return _FACTORIES[name](image_size=int(image_size), in_channels=int(in_channels),
                            num_classes=int(num_classes))


def feature_layers(model: nn.Module) -> list[str]:
    """Names of the hidden layers of ``model``, shallow to deep.

    For the registry's networks: the output of each pooling block and of the hidden dense
    layer (after its ReLU). Each name works with ``model.get_submodule(name)`` and a
    forward hook (k-NN, BiLRP).

    Parameters
    ----------
    model
        A network from :func:`build_model`, or any module with a ``feature_names``
        attribute; for other :class:`torch.nn.Sequential` models every direct child that
        is itself a container is listed.

    Raises
    ------
    ModelError
        The model names no hidden layers.
    """
    names = getattr(model, "feature_names", None)
    if names is None:
        names = [name for name, child in model.named_children() if len(list(child.children())) > 0]
    names = list(names)
    if not names:
        raise ModelError("the model has no named hidden layers", expected="feature_names",
                         actual=type(model).__name__)
    return names
