"""The model registry: shapes at several sizes, hidden layers, errors, and the explicit engine's trace."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lrpstudio.core.errors import ModelError
from lrpstudio.core.models import build_model, feature_layers, model_names
from lrpstudio.core.xai import explicit


@pytest.mark.parametrize("name", ["paper", "vgg_bn"])
@pytest.mark.parametrize("size", [64, 80, 128])
def test_models_run_at_any_size(name: str, size: int) -> None:
    torch.manual_seed(0)
    model = build_model(name, image_size=size, in_channels=3, num_classes=2).eval()
    x = torch.randn(2, 3, size, size)
    assert model(x).shape == (2, 2)
    layers = feature_layers(model)
    assert len(layers) == 5 and layers[-1] == "dense"
    seen: list[torch.Size] = []
    handles = [model.get_submodule(n).register_forward_hook(lambda m, i, o: seen.append(o.shape))
               for n in layers]
    model(x)
    for h in handles:
        h.remove()
    assert [s[-1] for s in seen[:4]] == [size // 2, size // 4, size // 8, size // 16]
    assert explicit.supports(model)


def test_paper_architecture_is_the_papers() -> None:
    model = build_model("paper", image_size=128)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 128]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 4
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(128 * 8 * 8, 64), (64, 2)]


def test_vgg_bn_is_deeper_and_normalised() -> None:
    model = build_model("vgg_bn", image_size=64, in_channels=4, num_classes=3)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 8 and convs[0].in_channels == 4
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 8
    assert model(torch.randn(1, 4, 64, 64)).shape == (1, 3)


@pytest.mark.parametrize("name", ["paper", "vgg_bn"])
def test_trace_equals_model_in_train_and_eval(name: str) -> None:
    model = build_model(name, image_size=64).double()
    x = torch.randn(3, 3, 64, 64, dtype=torch.float64)
    model.eval()
    torch.testing.assert_close(explicit.trace(model, x)[0], model(x), rtol=1e-10, atol=1e-12)
    model.train()
    torch.manual_seed(5)
    expected = model(x)
    torch.manual_seed(5)
    actual = explicit.trace(model, x)[0]
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-12)


def test_unknown_names_and_sizes_raise() -> None:
    assert set(model_names()) == {"paper", "vgg_bn"}
    with pytest.raises(ModelError, match="unknown model"):
        build_model("resnet")
    with pytest.raises(ModelError, match="too small"):
        build_model("paper", image_size=8)
    with pytest.raises(ModelError):
        feature_layers(nn.Linear(2, 2))
