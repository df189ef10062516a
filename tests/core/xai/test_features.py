"""Hidden activations: hooks, flattening, L2 normalisation, batching, modes, errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from lrpstudio.core.errors import CancelledError
from lrpstudio.core.models import build_model, feature_layers
from lrpstudio.core.xai.features import (LayerNotFoundError, default_feature_layers, extract_features,
                                         l2_normalise, model_layers, resolve_layer)


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return build_model("paper", image_size=32)


def batch(n: int = 7, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 3, size, size)).astype(np.float32)


def test_features_are_the_flattened_normalised_block_outputs() -> None:
    model = small_model().eval()
    x = batch()
    feats = extract_features(model, x, ["block2", "dense"], batch_size=3)
    with torch.no_grad():
        h2 = model.block2(model.block1(torch.from_numpy(x)))
        dense = model.dense(model.flatten(model.block4(model.block3(h2))))
    for name, ref in (("block2", h2), ("dense", dense)):
        ref = ref.reshape(len(x), -1).double().numpy()
        ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
        assert feats[name].dtype == np.float32 and feats[name].shape == ref.shape
        np.testing.assert_allclose(feats[name], ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(feats[name], axis=1), 1.0, rtol=1e-5)


def test_batch_size_does_not_matter_and_raw_features_are_available() -> None:
    model = small_model()
    x = batch(5)
    a = extract_features(model, x, ["block3"], batch_size=2)["block3"]
    b = extract_features(model, x, ["block3"], batch_size=64)["block3"]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    raw = extract_features(model, x, ["block3"], normalise=False)["block3"]
    np.testing.assert_allclose(l2_normalise(raw), b, rtol=1e-5, atol=1e-6)


def test_dropout_is_off_and_the_mode_is_restored() -> None:
    model = small_model()
    model.train()
    x = batch(4)
    a = extract_features(model, x, ["block1", "dense"])
    b = extract_features(model, x, ["block1", "dense"])
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])  # dropout would make them differ
    assert model.training
    assert all(p.grad is None for p in model.parameters())


def test_progress_and_cancel() -> None:
    model = small_model()
    calls: list[tuple[int, int]] = []
    extract_features(model, batch(5), ["block1"], batch_size=2,
                     progress=lambda done, total, _msg: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]

    class Token:
        cancelled = True

    with pytest.raises(CancelledError):
        extract_features(model, batch(5), ["block1"], cancel=Token())


def test_single_slice_and_unknown_layer() -> None:
    model = small_model()
    one = extract_features(model, batch(1)[0], ["block4"])["block4"]
    assert one.shape == (1, 128 * 2 * 2)
    with pytest.raises(LayerNotFoundError) as error:
        resolve_layer(model, "block9")
    assert "block9" in str(error.value)


def test_layer_lists() -> None:
    model = small_model()
    assert model_layers(model) == feature_layers(model) == ["block1", "block2", "block3", "block4", "dense"]
    flat = nn.Sequential(OrderedDict([
        ("c1", nn.Conv2d(3, 4, 3)), ("r1", nn.ReLU()), ("p1", nn.MaxPool2d(2)),
        ("f", nn.Flatten()), ("l1", nn.Linear(4 * 7 * 7, 8)), ("r2", nn.ReLU()), ("l2", nn.Linear(8, 2)),
    ]))
    assert default_feature_layers(flat) == ["p1", "r2"]
    assert model_layers(flat) == ["p1", "r2"]  # no containers: the pooling/dense rule
