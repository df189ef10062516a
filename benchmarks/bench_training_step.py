"""Milliseconds per training step: plain cross-entropy vs LRPLoss (p = 1) per composite,
the additive form, the contrast seed and RRR, and what that makes one demo epoch.

All cases of one batch size are timed interleaved, round after round, on the same model
and data, so the ratios compare like with like. A training step is zero_grad + loss +
backward + SGD step on the paper CNN at 128x128. Also: the LRPLoss step through zennit's
hooks (graph-keeping rules) for the default composite, and heatmap time per image
(eval mode, no graph). Runs on the CPU, and on CUDA too when available.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch

from lrpstudio.core.models import build_model
from lrpstudio.core.xai.composites import COMPOSITES, DEFAULT_COMPOSITE
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_step
from lrpstudio.core.xai.relevance import relevance

IMAGE_SIZE = 128
BENCH = "training_step"
#: Training slices of the built-in demo set with the default preparation (balance auto).
DEMO_TRAIN_SLICES = 290


def _data(n: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    tumor = torch.zeros(n, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
    tumor[:, 40:80, 50:90] = True
    brain = torch.zeros_like(tumor)
    brain[:, 10:118, 14:114] = True
    return tuple(t.to(device) for t in (x, y, tumor, brain))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _cases(quick: bool) -> dict[str, GuidanceConfig]:
    cases = {"ce": GuidanceConfig(kind="none", monitor_score=False)}
    for name in (COMPOSITES if not quick else (DEFAULT_COMPOSITE, "epsilon_gamma_box")):
        cases[f"lrp_p1_{name}"] = GuidanceConfig(form="ratio", penalty=1.0, composite=name)
    # The same loss through zennit's hooks (graph-keeping rules): what the explicit engine replaces.
    cases[f"lrp_p1_{DEFAULT_COMPOSITE}_zennit_hooks"] = GuidanceConfig(form="ratio", penalty=1.0,
                                                                      engine="zennit")
    # The other guidance losses a run can choose (default composite).
    cases["lrp_p1_additive"] = GuidanceConfig(penalty=1.0, form="additive")
    cases["lrp_p1_contrast_seed"] = GuidanceConfig(form="ratio", penalty=1.0, seed="contrast")
    cases["rrr"] = GuidanceConfig(kind="rrr", monitor_score=False)
    return cases


def _step_fn(model: torch.nn.Module, opt: torch.optim.Optimizer, data: tuple[torch.Tensor, ...],
             config: GuidanceConfig) -> Callable[[], None]:
    def step() -> None:
        opt.zero_grad(set_to_none=True)
        guidance_step(model, *data, config).loss.backward()
        opt.step()
    return step


def _time_steps(batch: int, device: torch.device, quick: bool) -> list[dict]:
    torch.manual_seed(0)
    model = build_model("paper", IMAGE_SIZE).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)  # tiny: the weights stay comparable
    data = _data(batch, device)
    steps = {k: _step_fn(model, opt, data, c) for k, c in _cases(quick).items()}
    times: dict[str, list[float]] = {k: [] for k in steps}
    rounds, warmup = (3, 1) if quick else (7, 2)
    for r in range(warmup + rounds):
        for key, step in steps.items():
            _sync(device)
            t0 = time.perf_counter()
            step()
            _sync(device)
            if r >= warmup:
                times[key].append(time.perf_counter() - t0)
    ce = statistics.median(times["ce"])
    rows = []
    for key, values in times.items():
        ms = statistics.median(values) * 1000
        case = f"{device.type} batch{batch} {key}"
        rows.append({"benchmark": BENCH, "case": case, "metric": "ms_per_step", "value": ms, "unit": "ms"})
        rows.append({"benchmark": BENCH, "case": case, "metric": "ratio_vs_ce",
                     "value": ms / (ce * 1000), "unit": "x"})
        # One training epoch of the built-in demo set at this size (about 290 training slices).
        steps = -(-DEMO_TRAIN_SLICES // batch)
        rows.append({"benchmark": BENCH, "case": case, "metric": "demo_epoch_train",
                     "value": ms * steps / 1000, "unit": "s"})
    return rows


def _time_heatmaps(device: torch.device, quick: bool) -> list[dict]:
    torch.manual_seed(0)
    model = build_model("paper", IMAGE_SIZE).to(device).eval()
    x, y, _, _ = _data(16, device)
    rows = []
    for name in (COMPOSITES if not quick else (DEFAULT_COMPOSITE,)):
        values = []
        for r in range(4 if quick else 6):
            _sync(device)
            t0 = time.perf_counter()
            with torch.no_grad():
                relevance(model, x, y, name)
            _sync(device)
            if r >= 1:
                values.append((time.perf_counter() - t0) / x.shape[0])
        rows.append({"benchmark": BENCH, "case": f"{device.type} heatmap {name}", "metric": "ms_per_image",
                     "value": statistics.median(values) * 1000, "unit": "ms"})
    return rows


def run(quick: bool = False) -> list[dict]:
    """Time CE vs LRPLoss steps (batch 16 and 32) and heatmaps; see the module docstring."""
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows: list[dict] = []
    for device in devices:
        for batch in ((16,) if quick else (16, 32)):
            rows += _time_steps(batch, device, quick)
        rows += _time_heatmaps(device, quick)
    return rows


if __name__ == "__main__":
    for row in run(quick=False):
        print(f"{row['case']:60s} {row['metric']:13s} {row['value']:9.2f} {row['unit']}")
