"""Similar cases at 128x128: k-NN per layer against a 500-slice atlas, and BiLRP per pair.

One query against a cached atlas of 500 synthetic training slices (the paper CNN, random
weights: speed does not depend on training). Measured side by side in the same run:

- k-NN: one query's nearest neighbours per layer (the query's features already known),
  and the query's feature extraction (all layers in one forward);
- BiLRP (K = 100 projections, 8x8 patches, gamma/epsilon rules) per pair:
  * ``cached``: the atlas side cached, so a pair costs the query's batched pass and one
    contraction (a query against k neighbours pays the pass once);
  * ``uncached``: both sides computed (two batched passes);
  * ``unfused``: ``uncached`` without fusing the first layer into the patch pooling;
  * ``loop``: the un-batched per-feature loop (zennit, one forward and one backward per
    projected feature, K of them per side). ``--quick`` times 10 features and scales to K.

Torch's thread count is part of each case's name. On a machine shared with other work,
``OMP_NUM_THREADS=1`` gives the steadier numbers (idle threads spin-wait otherwise).
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.models import build_model, feature_layers
from lrpstudio.core.xai.bilrp import BilrpConfig, BilrpExplainer
from lrpstudio.core.xai.bilrp_math import combine
from lrpstudio.core.xai.features import extract_features
from lrpstudio.core.xai.knn import KnnIndex, build_atlas

SIZE, ATLAS, K = 128, 500, 100


def _atlas_data(n: int, seed: int = 0) -> SliceDataset:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    brain = (yy - SIZE / 2) ** 2 + (xx - SIZE / 2) ** 2 < (0.42 * SIZE) ** 2
    images = rng.normal(0, 0.3, (n, 3, SIZE, SIZE)).astype(np.float32) * brain
    tumours = np.zeros((n, SIZE, SIZE), bool)
    for i in range(n):
        cy, cx = rng.uniform(0.35, 0.65, 2) * SIZE
        tumours[i] = ((yy - cy) ** 2 + (xx - cx) ** 2 < (SIZE * 0.1) ** 2) & brain
        images[i][:, tumours[i]] += 1.0 + (i % 2)
    return SliceDataset(images=images, tumor_masks=tumours, brain_masks=np.repeat(brain[None], n, 0),
                        labels=np.arange(n) % 2, case_ids=np.array([f"c{i // 5}" for i in range(n)]),
                        slice_index=np.arange(n) % 5, split=np.array(["train"] * n))


def _time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls after one warm-up call."""
    return _times(fn, repeat)[0]


def _times(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (this process, all threads) times of ``repeat`` calls after a warm-up.

    On a machine shared with other work the CPU time is the steadier of the two.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": "bilrp", "case": case, "metric": metric, "value": float(value), "unit": unit}


def run(quick: bool = False) -> list[dict]:
    """Rows of the table (see the module doc)."""
    torch.manual_seed(0)
    model = build_model("paper", image_size=SIZE).eval()
    layers = feature_layers(model)
    data = _atlas_data(ATLAS)
    query = _atlas_data(1, seed=99).images[0]
    rows: list[dict] = []
    start = time.perf_counter()
    atlas = build_atlas(model, data, layers)
    rows.append(_row(f"atlas {ATLAS} slices {torch.get_num_threads()} threads", "build_all_layers",
                     time.perf_counter() - start, "s"))
    index = KnnIndex(atlas)
    feats = extract_features(model, query, layers)
    rows.append(_row("query", "features_all_layers",
                     _time(lambda: extract_features(model, query, layers), 3 if quick else 10), "s"))
    for layer in layers:
        index.query(layer, feats[layer], ["query"], 5)  # builds the layer's index
        t = _time(lambda layer=layer: index.query(layer, feats[layer], ["query"], 5), 5 if quick else 20)
        rows.append(_row(f"knn k=5 {layer} (D={feats[layer].shape[1]})", "query", t * 1e3, "ms"))
    for layer in (["dense"] if quick else ["block2", "dense"]):
        rows += _bilrp_rows(model, layer, data, query, quick)
    return rows


def _bilrp_rows(model: torch.nn.Module, layer: str, data: SliceDataset, query: np.ndarray,
                quick: bool) -> list[dict]:
    explainer = BilrpExplainer(model, BilrpConfig(layer=layer, projection_dim=K, pool=8))
    other = data.images[0]
    atlas_side = explainer.cached_side(0, other)
    repeat = 2 if quick else 5
    cached, cached_cpu = _times(lambda: combine(explainer.side(query), atlas_side), repeat)
    uncached, uncached_cpu = _times(lambda: combine(explainer.side(query), explainer.side(other)), repeat)
    contraction = _time(lambda: combine(atlas_side, atlas_side), 5)
    plain = BilrpExplainer(model, BilrpConfig(layer=layer, projection_dim=K, pool=8, unfused=True))
    unfused, unfused_cpu = _times(lambda: combine(plain.side(query), plain.side(other)), repeat)
    features = 10 if quick else K
    sample = BilrpExplainer(model, BilrpConfig(layer=layer, projection_dim=features, pool=8,
                                               engine="zennit", chunk=1))
    start, start_cpu = time.perf_counter(), time.process_time()
    sample.side(query)
    loop_pair = 2 * (time.perf_counter() - start) * K / features  # both sides cost the same
    loop_pair_cpu = 2 * (time.process_time() - start_cpu) * K / features
    case = f"{layer} K={K} 8x8 patches 128px {torch.get_num_threads()} threads"
    loop = "pair_loop" + ("_extrapolated" if quick else "")
    return [
        _row(case, "pair_cached_atlas", cached, "s"),
        _row(case, "pair_cached_atlas_cpu", cached_cpu, "s"),
        _row(case, "pair_uncached", uncached, "s"),
        _row(case, "pair_uncached_cpu", uncached_cpu, "s"),
        _row(case, "pair_uncached_unfused", unfused, "s"),
        _row(case, "pair_uncached_unfused_cpu", unfused_cpu, "s"),
        _row(case, "contraction_only", contraction * 1e3, "ms"),
        _row(case, loop, loop_pair, "s"),
        _row(case, loop + "_cpu", loop_pair_cpu, "s"),
        _row(case, "speedup_loop_vs_uncached", loop_pair / uncached, "x"),
        _row(case, "speedup_loop_vs_uncached_cpu", loop_pair_cpu / uncached_cpu, "x"),
        _row(case, "speedup_loop_vs_cached_cpu", loop_pair_cpu / cached_cpu, "x"),
    ]


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick=True):
        print(r)
