"""BiLRP: conservation, symmetry, agreement with a slow per-feature loop, engines, caching."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn
from zennit.composites import LayerMapComposite
from zennit.rules import Epsilon, Gamma, Pass

from lrpstudio.core.errors import CancelledError, InputError
from lrpstudio.core.models import build_model, feature_layers
from lrpstudio.core.xai.bilrp import BilrpConfig, BilrpExplainer, bilrp
from lrpstudio.core.xai.bilrp_math import projection_matrix, sum_pool
from lrpstudio.core.xai.features import LayerNotFoundError
from lrpstudio.core.xai.knn import model_fingerprint


def seq_net(bias: bool, seed: int = 0) -> nn.Module:
    """A small paper-shaped Sequential (explicit engine), float64."""
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict([
        ("b1", nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=bias), nn.ReLU(), nn.MaxPool2d(2))),
        ("b2", nn.Sequential(nn.Conv2d(4, 5, 3, padding=1, bias=bias), nn.ReLU(), nn.MaxPool2d(2))),
        ("flat", nn.Flatten()),
        ("dense", nn.Sequential(nn.Linear(5 * 4 * 4, 7, bias=bias), nn.ReLU())),
        ("out", nn.Linear(7, 2, bias=bias)),
    ])).double().eval()


class Branchy(nn.Module):
    """Not a Sequential (functional ReLU and pooling in forward): the zennit engine only."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.c1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.a1 = nn.ReLU()
        self.p1 = nn.AvgPool2d(2)
        self.c2 = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False)
        self.a2 = nn.ReLU()
        self.fc = nn.Linear(6 * 4 * 4, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a2(self.c2(self.p1(self.a1(self.c1(x)))))
        return self.fc(torch.flatten(h, 1))


def images(seed: int = 1, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(3, size, size, generator=g, dtype=torch.float64),
            torch.randn(3, size, size, generator=g, dtype=torch.float64))


def projected_similarity(model: nn.Module, layer: str, x: torch.Tensor, y: torch.Tensor,
                         k: int, normalize: bool = True) -> float:
    """<P phi(x), P phi(y)> computed directly from a forward hook (the reference)."""
    store: dict[str, torch.Tensor] = {}
    handle = model.get_submodule(layer).register_forward_hook(
        lambda _m, _i, o: store.__setitem__("f", o.detach().flatten(1)))
    with torch.no_grad():
        model(torch.stack([x, y]))
    handle.remove()
    f = store["f"]
    if normalize:
        f = f / f.norm(dim=1, keepdim=True)
    p = projection_matrix(f.shape[1], k, 0, dtype=torch.float64)
    return float((p @ f[0]) @ (p @ f[1]))


@pytest.mark.parametrize("composite", ["epsilon", "gamma_epsilon"])
@pytest.mark.parametrize("layer", ["b1", "b2", "dense"])
@pytest.mark.parametrize("normalize", [True, False])
def test_conservation_sequential(composite: str, layer: str, normalize: bool) -> None:
    model = seq_net(bias=False)
    x, y = images()
    r = bilrp(model, x, y, layer, projection_dim=12, pool=4, composite=composite, normalize=normalize)
    expected = projected_similarity(model, layer, x, y, 12, normalize)
    assert r.shape == (4, 4, 4, 4)
    assert abs(float(r.sum()) - expected) <= 1e-4 * abs(expected)


@pytest.mark.parametrize("composite", ["epsilon", "gamma_epsilon"])
@pytest.mark.parametrize("layer", ["p1", "a2"])
def test_conservation_zennit_engine_on_a_non_sequential_net(composite: str, layer: str) -> None:
    model = Branchy().double().eval()
    x, y = images(seed=5)
    explainer = BilrpExplainer(model, BilrpConfig(layer=layer, projection_dim=9, pool=4, composite=composite))
    assert explainer.engine == "zennit"
    r = explainer.pair(x, y)
    expected = projected_similarity(model, layer, x, y, 9)
    assert abs(float(r.sum()) - expected) <= 1e-4 * abs(expected)


@pytest.mark.parametrize("engine", ["explicit", "zennit"])
def test_without_projection_the_sum_is_the_plain_similarity(engine: str) -> None:
    model = seq_net(bias=False, seed=9)
    x, y = images(seed=10)
    r = bilrp(model, x, y, "dense", projection_dim=None, pool=4, normalize=False, engine=engine)
    store: dict[str, torch.Tensor] = {}
    handle = model.get_submodule("dense").register_forward_hook(
        lambda _m, _i, o: store.__setitem__("f", o.detach()))
    with torch.no_grad():
        model(torch.stack([x, y]))
    handle.remove()
    expected = float(store["f"][0] @ store["f"][1])
    assert expected != 0 and abs(float(r.sum()) - expected) <= 1e-6 * abs(expected)


def test_pool_that_does_not_divide_the_image_keeps_the_sum() -> None:
    model = seq_net(bias=False)
    x, y = images(size=16)
    r = bilrp(model, x, y, "b2", projection_dim=6, pool=5, composite="epsilon")
    assert r.shape == (4, 4, 4, 4)  # ceil(16 / 5)
    expected = projected_similarity(model, "b2", x, y, 6)
    assert abs(float(r.sum()) - expected) <= 1e-4 * abs(expected)


@pytest.mark.parametrize("engine", ["explicit", "zennit"])
def test_symmetry(engine: str) -> None:
    model = seq_net(bias=True, seed=3)
    x, y = images(seed=7)
    a = bilrp(model, x, y, "b2", projection_dim=10, pool=4, engine=engine)
    b = bilrp(model, y, x, "b2", projection_dim=10, pool=4, engine=engine)
    torch.testing.assert_close(a, b.permute(2, 3, 0, 1), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("composite", ["gamma_epsilon", "epsilon", "epsilon_plus_flat"])
def test_explicit_engine_equals_zennit_engine_with_biases(composite: str) -> None:
    model = seq_net(bias=True, seed=2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.uniform_(-0.1, 0.3)
    x, y = images(seed=4)
    for layer in ("b1", "dense"):
        fast = bilrp(model, x, y, layer, projection_dim=8, pool=4, composite=composite, engine="explicit")
        slow = bilrp(model, x, y, layer, projection_dim=8, pool=4, composite=composite, engine="zennit")
        torch.testing.assert_close(fast, slow, rtol=1e-8, atol=1e-10 * float(slow.abs().max()))


def _reference_composite() -> LayerMapComposite:
    """gamma_epsilon built from zennit directly (not through lrpstudio)."""
    return LayerMapComposite([(nn.ReLU, Pass()), (nn.Conv2d, Gamma(gamma=0.25, stabilizer=1e-9)),
                              (nn.Linear, Epsilon(epsilon=1e-9))])


def _feature_relevance(model: nn.Module, layer: str, x: torch.Tensor, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stock zennit LRP of ONE feature phi_d (seed phi_d at d, 0 elsewhere): (C,H,W), and phi."""
    inp = x.unsqueeze(0).clone().requires_grad_(True)
    store: dict[str, torch.Tensor] = {}
    composite = _reference_composite()
    with composite.context(model):
        handle = model.get_submodule(layer).register_forward_hook(
            lambda _m, _i, o: store.__setitem__("f", o))
        model(inp)
        handle.remove()
        phi = store["f"]
        seed = torch.zeros_like(phi).flatten()
        seed[d] = phi.detach().flatten()[d]
        (rel,) = torch.autograd.grad(phi, inp, grad_outputs=seed.reshape(phi.shape))
    return rel[0], phi.detach().flatten()


def test_agrees_with_a_slow_per_feature_loop() -> None:
    """R_ii' from D separate single-feature LRP passes (zennit), projected afterwards."""
    model = seq_net(bias=True, seed=6)
    x, y = images(seed=8)
    layer, k, pool = "dense", 5, 4  # 7 features: the loop stays short, every layer is crossed
    sides = []
    for img in (x, y):
        maps, phi = zip(*(_feature_relevance(model, layer, img, d) for d in range(7)))
        per_feature = torch.stack(maps).sum(1)  # (D, H, W), channels summed
        norm = phi[0].norm()
        p = projection_matrix(per_feature.shape[0], k, 0, dtype=torch.float64)
        # LRP is linear in its seed: feature m's map is sum_d P_md R^(d) / |phi|
        pixel = torch.einsum("md,dhw->mhw", p, per_feature) / norm
        sides.append(pixel.reshape(k, 4, pool, 4, pool).sum((2, 4)))
    expected = torch.einsum("mab,mcd->abcd", sides[0], sides[1])
    assert float(expected.abs().max()) > 0  # the dense units are alive: not a vacuous check
    got = bilrp(model, x, y, layer, projection_dim=k, pool=pool)
    torch.testing.assert_close(got, expected, rtol=1e-7, atol=1e-9 * float(expected.abs().max()))


def test_chunks_and_cache_give_the_same_result_and_cancel_stops() -> None:
    model = seq_net(bias=True)
    x, y = images()
    whole = BilrpExplainer(model, BilrpConfig(layer="dense", projection_dim=10, pool=4))
    chunked = BilrpExplainer(model, BilrpConfig(layer="dense", projection_dim=10, pool=4, chunk=3))
    torch.testing.assert_close(whole.side(x), chunked.side(x), rtol=1e-12, atol=1e-14)
    first = whole.cached_side("y", y)
    assert whole.cached_side("y", x) is first  # served from the cache, whatever the image
    whole.precompute(torch.stack([x, y]), ["a", "b"])
    torch.testing.assert_close(whole.pair(x, y, other_key="b"), whole.pair(x, y), rtol=1e-12, atol=0)

    class Cancelled:
        cancelled = True

    with pytest.raises(CancelledError):
        whole.precompute(torch.stack([x]), ["c"], cancel=Cancelled())


def test_projection_is_fixed_by_its_seed() -> None:
    a = projection_matrix(50, 7, seed=3)
    torch.testing.assert_close(a, projection_matrix(50, 7, seed=3), rtol=0, atol=0)
    assert not torch.equal(a, projection_matrix(50, 7, seed=4))
    # N(0, 1/K): E <Pu, Pv> = <u, v>; the column norms squared average to 1
    big = projection_matrix(2000, 400, seed=0, dtype=torch.float64)
    assert abs(float((big ** 2).sum(0).mean()) - 1.0) < 0.01


def test_sum_pool_matches_a_loop() -> None:
    g = torch.Generator().manual_seed(0)
    r = torch.randn(2, 3, 10, 7, generator=g, dtype=torch.float64)
    pooled = sum_pool(r, 4)
    assert pooled.shape == (2, 3, 2)
    for b in range(2):
        for i in range(3):
            for j in range(2):
                want = r[b, :, 4 * i:4 * i + 4, 4 * j:4 * j + 4].sum()
                assert abs(float(pooled[b, i, j] - want)) < 1e-12


def test_bad_inputs_are_typed_errors() -> None:
    model = seq_net(bias=False)
    x, y = images()
    with pytest.raises(LayerNotFoundError):
        bilrp(model, x, y, "no_such_layer")
    with pytest.raises(InputError):
        bilrp(model, x, y, "b1", composite="nonsense")
    with pytest.raises(InputError):
        bilrp(model, torch.stack([x, y]), y, "b1")
    with pytest.raises(InputError):
        bilrp(model, x, y, "b1", projection_dim=0)
    with pytest.raises(InputError):
        bilrp(model, x, y, "b1", pool=0)
    with pytest.raises(InputError):
        bilrp(Branchy().double(), x, y, "a2", engine="explicit")


def test_paper_model_is_left_unchanged() -> None:
    model = build_model("paper", image_size=32)
    model.train()
    before = model_fingerprint(model)
    x, y = (t.float() for t in images(size=32))
    layers = feature_layers(model)
    r = bilrp(model, x.unsqueeze(0), y, layers[-1], projection_dim=6)
    assert r.shape == (4, 4, 4, 4) and torch.isfinite(r).all()
    assert model.training and model_fingerprint(model) == before
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("conv, maxpool, pool", [
    (dict(kernel_size=3, padding=1), True, 4),
    (dict(kernel_size=5, padding=2), True, 3),        # windows straddle patches
    (dict(kernel_size=3, stride=2, padding=0), False, 4),
    (dict(kernel_size=3, dilation=2, padding=1), True, 5),
])
@pytest.mark.parametrize("composite", ["gamma_epsilon", "epsilon"])
def test_first_layer_fused_into_patches_equals_the_pixel_path(conv: dict, maxpool: bool, pool: int,
                                                               composite: str) -> None:
    torch.manual_seed(11)
    first = [nn.Conv2d(3, 4, **conv), nn.ReLU()] + ([nn.MaxPool2d(2)] if maxpool else [])
    model = nn.Sequential(OrderedDict([
        ("b1", nn.Sequential(*first)),
        ("b2", nn.Sequential(nn.Conv2d(4, 5, 3, padding=1), nn.ReLU())),
    ])).double().eval()
    x, y = images(seed=12, size=18)
    config = dict(layer="b2", projection_dim=6, pool=pool, composite=composite)
    fused = BilrpExplainer(model, BilrpConfig(**config))
    plain = BilrpExplainer(model, BilrpConfig(**config, unfused=True))
    a, b = fused.side(x), plain.side(x)
    assert a.shape == b.shape == (6, -(-18 // pool), -(-18 // pool))
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12 * float(b.abs().max()))
    torch.testing.assert_close(fused.pair(x, y), bilrp(model, x, y, engine="zennit", **config),
                               rtol=1e-8, atol=1e-11)
