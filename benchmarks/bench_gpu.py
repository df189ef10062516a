"""GPU throughput: training steps/s (CE, LRPLoss) at 128 and 240 px, heatmaps/s, BiLRP pairs/s.

One command, no network, synthetic data: ``python -m benchmarks.bench_gpu`` (add
``--quick`` for fewer rounds). Without a CUDA device ``run`` returns no rows and the
command prints that it skipped. Every case runs on the paper CNN in float32, and the
training cases also with bf16 autocast (``amp``), each timed interleaved, so ratios
compare like with like.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Callable

import torch

from lrpstudio.core.models import build_model, feature_layers
from lrpstudio.core.train.heatmaps import explain_batch
from lrpstudio.core.train.step import Batch, compute_loss, train_step
from lrpstudio.core.xai.bilrp import bilrp
from lrpstudio.core.xai.guidance import GuidanceConfig

BENCH = "gpu"
SIZES = (128, 240)
BATCH = 32


def _batch(n: int, size: int, device: torch.device) -> Batch:
    g = torch.Generator().manual_seed(0)
    images = torch.randn(n, 3, size, size, generator=g)
    tumor = torch.zeros(n, size, size, dtype=torch.bool)
    tumor[:, size // 3:size // 2, size // 3:size // 2] = True
    brain = torch.zeros_like(tumor)
    brain[:, size // 10:-size // 10, size // 10:-size // 10] = True
    labels = torch.randint(0, 2, (n,), generator=g)
    return Batch(images.to(device), tumor.to(device), brain.to(device), labels.to(device))


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _timed(fn: Callable[[], None], rounds: int, warmup: int) -> float:
    """Median seconds of ``fn`` (CUDA synchronised around each call)."""
    times = []
    for r in range(warmup + rounds):
        _sync()
        t0 = time.perf_counter()
        fn()
        _sync()
        if r >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": BENCH, "case": case, "metric": metric, "value": float(value), "unit": unit}


def _training_rows(size: int, device: torch.device, rounds: int) -> list[dict]:
    torch.manual_seed(0)
    model = build_model("paper", size).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)  # tiny: the weights stay comparable
    batch = _batch(BATCH, size, device)
    cases = {"ce": GuidanceConfig(kind="none", monitor_score=False),
             "lrploss_p1": GuidanceConfig(kind="lrp", penalty=1.0)}
    rows = []
    for name, guidance in cases.items():
        for amp in (False, True):
            seconds = _timed(lambda guidance=guidance, amp=amp: train_step(model, opt, batch, guidance, amp), rounds, 2)
            label = f"{name}_{size}px_b{BATCH}" + ("_bf16" if amp else "")
            rows.append(_row(label, "steps_per_s", 1.0 / seconds, "1/s"))
            rows.append(_row(label, "slices_per_s", BATCH / seconds, "1/s"))
    return rows


def _amp_rows(size: int, device: torch.device) -> list[dict]:
    """How far one bf16-autocast LRPLoss step is from float32: loss and gradient."""
    torch.manual_seed(0)
    model = build_model("paper", size).to(device).eval()  # eval: no dropout draws
    batch = _batch(BATCH, size, device)
    guidance = GuidanceConfig(kind="lrp", penalty=1.0)
    out = {}
    for amp in (False, True):
        model.zero_grad(set_to_none=True)
        loss = compute_loss(model, batch, guidance, amp).loss
        loss.backward()
        out[amp] = (loss.detach(), torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    (l32, g32), (l16, g16) = out[False], out[True]
    case = f"lrploss_p1_{size}px_b{BATCH}_bf16_vs_fp32"
    return [_row(case, "loss_rel_diff", float((l16 - l32).abs() / l32.abs()), "1"),
            _row(case, "grad_rel_diff", float((g16 - g32).norm() / g32.norm()), "1")]


def _explain_rows(size: int, device: torch.device, rounds: int) -> list[dict]:
    torch.manual_seed(0)
    model = build_model("paper", size).to(device).eval()
    batch = _batch(BATCH, size, device)
    seconds = _timed(lambda: explain_batch(model, batch.images, batch.labels, batch.tumor, batch.brain,
                                           "epsilon_plus_flat"), rounds, 1)
    rows = [_row(f"heatmaps_{size}px_b{BATCH}", "heatmaps_per_s", BATCH / seconds, "1/s")]
    layer = feature_layers(model)[-2]
    pairs = 4
    seconds = _timed(lambda: [bilrp(model, batch.images[i], batch.images[i + 1], layer)
                              for i in range(pairs)], rounds, 1)
    rows.append(_row(f"bilrp_{size}px_{layer}_k100", "pairs_per_s", pairs / seconds, "1/s"))
    return rows


def run(quick: bool = False) -> list[dict]:
    """Rows for every case on the first CUDA device; none without CUDA."""
    if not torch.cuda.is_available():
        return []
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    rounds = 3 if quick else 10
    rows = []
    for size in SIZES:
        rows += _training_rows(size, device, rounds)
        rows += _amp_rows(size, device)
        rows += _explain_rows(size, device, rounds)
    name = torch.cuda.get_device_name(device)
    return [{**row, "device": name} for row in rows]


def main(argv: list[str] | None = None) -> int:
    """Print the rows as a table (and as JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer timed rounds")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    if not rows:
        print("no CUDA device: GPU benchmark skipped", file=sys.stderr)
        return 0
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"device: {rows[0]['device']}, torch {torch.__version__}")
    for row in rows:
        print(f"{row['case']:<40} {row['metric']:<16} {row['value']:>10.2f} {row['unit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
