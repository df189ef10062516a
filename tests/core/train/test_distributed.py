"""Data-parallel training: 2 gloo processes on the loopback against one process.

The workers are module-level functions so that ``torch.multiprocessing`` (spawn) can
import them in the child processes.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from lrpstudio.core.models import build_model
from lrpstudio.core.models.checkpoints import load_checkpoint
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.distributed import (
    SINGLE, DistContext, init_distributed, reduce_sums, shard, shutdown, synced_train_step,
)
from lrpstudio.core.train.engine import accumulate, evaluate_sums, fit
from lrpstudio.core.train.step import to_batch
from lrpstudio.core.train.metrics import EpochSums
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.step import Batch, train_step
from lrpstudio.core.xai.guidance import GuidanceConfig
from tests.core.train.factory import tiny_dataset

WORLD = 2
GLOBAL_BATCH = 5      # 3 + 2 per rank: uneven shares on purpose
STEPS = 4             # the last global batch is short (2 slices: 1 + 1)
TIMEOUT_S = 90.0
GUIDANCE = GuidanceConfig(kind="lrp", penalty=1.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(worker: Callable[..., None], *args: Any) -> None:
    """Run ``worker(rank, port, *args)`` in WORLD spawned processes, bounded in time."""
    port = _free_port()
    context = mp.start_processes(worker, args=(port, *args), nprocs=WORLD, join=False,
                                 start_method="spawn")
    deadline = time.monotonic() + TIMEOUT_S
    while not context.join(timeout=1.0):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"distributed workers did not finish within {TIMEOUT_S} s")


def _join(rank: int, port: int) -> DistContext:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD))
    torch.set_num_threads(1)
    return init_distributed("cpu", timeout_s=TIMEOUT_S)


def _model() -> torch.nn.Module:
    """The paper's CNN without dropout: dropout masks are per-rank random draws."""
    torch.manual_seed(7)
    model = build_model("paper", image_size=32, in_channels=3)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model.double()


def _data():
    return tiny_dataset(n_cases=8, slices_per_case=3, size=32, seed=5)


def _global_batches(n_train: int) -> list[np.ndarray]:
    order = np.random.default_rng(11).permutation(n_train)
    return [order[i * GLOBAL_BATCH:(i + 1) * GLOBAL_BATCH] for i in range(STEPS - 1)] + [order[-2:]]


def _double(batch: Batch) -> Batch:
    return dataclasses.replace(batch, images=batch.images.double())


def _train(ctx: DistContext) -> tuple[torch.nn.Module, EpochSums]:
    """STEPS LRPLoss steps on the global batches; this rank trains on its share."""
    train = _data().subset("train")
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    sums = EpochSums()
    for rows in _global_batches(len(train)):
        batch = _double(to_batch(train, rows, torch.device("cpu")))
        if ctx.is_distributed:
            share = shard(len(batch), ctx)
            batch = Batch(batch.images[share], batch.tumor[share], batch.brain[share], batch.labels[share])
            out = synced_train_step(model, optimizer, batch, GUIDANCE, len(rows), ctx)
        else:
            out = train_step(model, optimizer, batch, GUIDANCE)
        accumulate(sums, batch, out.logits, out.scores, out.parts)
    return model, reduce_sums(sums, ctx)


def _steps_worker(rank: int, port: int, out_dir: str) -> None:
    ctx = _join(rank, port)
    try:
        model, sums = _train(ctx)
        if ctx.is_main:
            torch.save({"model": model.state_dict(), "sums": torch.from_numpy(sums.values)},
                       Path(out_dir) / "ranks.pt")
    finally:
        shutdown(ctx)


def _fit_worker(rank: int, port: int, run_dir: str, epochs: int, resume: bool) -> None:
    ctx = _join(rank, port)
    try:
        config = TrainConfig(epochs=epochs, batch_size=5, seed=3, pinned=2, guidance=GUIDANCE)
        fit(config, tiny_dataset(n_cases=8, slices_per_case=3, size=32), run_dir=run_dir,
            resume=resume, dist=ctx)
    finally:
        shutdown(ctx)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 6])
def test_shards_cover_the_batch_once_in_order(n: int) -> None:
    parts = [np.arange(n)[shard(n, DistContext(rank=r, world_size=3))] for r in range(3)]
    assert np.array_equal(np.concatenate(parts), np.arange(n))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.timeout(120)
def test_two_gloo_ranks_match_one_process(tmp_path: Path) -> None:
    """Same global batches and seed: parameters and epoch metrics agree (float64)."""
    _launch(_steps_worker, str(tmp_path))
    ranks = torch.load(tmp_path / "ranks.pt", weights_only=True)
    model, sums = _train(SINGLE)
    reference = model.state_dict()
    start = _model().state_dict()
    assert not torch.equal(reference["out.weight"], start["out.weight"])  # the steps moved it
    for key, value in reference.items():
        torch.testing.assert_close(ranks["model"][key], value, rtol=1e-9, atol=1e-11, msg=key)
    two = EpochSums(values=ranks["sums"].numpy())
    n_train = len(_data().subset("train"))
    assert two.count == sums.count == len(np.concatenate(_global_batches(n_train)))
    assert np.array_equal(two.confusion, sums.confusion)
    one_metrics, two_metrics = sums.metrics(), two.metrics()
    assert one_metrics.keys() == two_metrics.keys()
    for key in one_metrics:
        assert two_metrics[key] == pytest.approx(one_metrics[key], rel=1e-9, abs=1e-12, nan_ok=True), key


@pytest.mark.timeout(150)
def test_two_rank_fit_writes_once_and_resumes_in_one_process(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _launch(_fit_worker, str(run), 1, False)
    folder = RunFolder(run)
    events = [e["event"] for e in folder.read_events()]
    assert events.count("start") == 1 and events.count("epoch_end") == 1  # rank 0 only
    assert sorted(p.name for p in folder.heatmap_dir.glob("epoch_*")) == ["epoch_001.npz", "epoch_001.png"]
    row = folder.read_metrics()[0]
    # Validation runs in eval mode (no dropout): the reduced metrics must equal one
    # process evaluating the saved weights on the whole validation split.
    saved = load_checkpoint(folder.checkpoint("last"))
    data = tiny_dataset(n_cases=8, slices_per_case=3, size=32)
    config = TrainConfig.from_dict(saved["config"])
    model = build_model("paper", image_size=32, in_channels=3)
    model.load_state_dict(saved["model"])
    expected = evaluate_sums(model, data.subset("val"), config, torch.device("cpu")).metrics()
    for key, value in expected.items():
        assert row[f"val_{key}"] == pytest.approx(value, rel=1e-5, abs=1e-6, nan_ok=True), key
    train_batches = -(-int((data.split == "train").sum()) // 5)
    assert saved["step"] == train_batches
    # Resume the 2-process run with one process.
    result = fit(dataclasses.replace(config, epochs=2), data, run_dir=run, resume=True)
    assert result.epochs_done == 2 and [r["epoch"] for r in folder.read_metrics()] == [1.0, 2.0]
    assert load_checkpoint(folder.checkpoint("last"))["step"] == 2 * train_batches


def _experiment_config():
    from lrpstudio.core.train.experiment import ExperimentConfig

    train = TrainConfig(epochs=1, batch_size=6, seed=2, pinned=0, guidance=GUIDANCE)
    return ExperimentConfig(train=train, penalties=(0.0, 1.0), figure_slices=1)


def _experiment_worker(rank: int, port: int, out: str) -> None:
    from lrpstudio.core.train.experiment import run_experiment

    ctx = _join(rank, port)
    try:
        rows = run_experiment(_data(), out, _experiment_config(), dist=ctx)
        assert bool(rows) == ctx.is_main
    finally:
        shutdown(ctx)


@pytest.mark.timeout(150)
def test_experiment_spread_over_two_ranks_gives_the_same_table(tmp_path: Path) -> None:
    from lrpstudio.core.train.experiment import run_experiment

    _launch(_experiment_worker, str(tmp_path / "two"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers: float sums then run in the same order
    try:
        run_experiment(_data(), tmp_path / "one", _experiment_config())
    finally:
        torch.set_num_threads(threads)
    assert (tmp_path / "two" / "fig5.png").is_file()
    assert (tmp_path / "two" / "table1.csv").read_text() == (tmp_path / "one" / "table1.csv").read_text()
    # Rank 1 trained p1 alone: its run folder was written once.
    events = [e["event"] for e in RunFolder(tmp_path / "two" / "p1").read_events()]
    assert events.count("start") == 1


def test_bf16_autocast_step_keeps_a_float32_loss_close_to_float32() -> None:
    """--amp bf16 (checked here on the CPU's bf16 autocast): float32 loss within bf16 error."""
    from lrpstudio.core.train.step import compute_loss

    train = _data().subset("train")
    torch.manual_seed(7)
    model = build_model("paper", image_size=32, in_channels=3).eval()
    batch = to_batch(train, np.arange(6), torch.device("cpu"))
    plain = compute_loss(model, batch, GUIDANCE)
    mixed = compute_loss(model, batch, GUIDANCE, amp=True)
    assert mixed.loss.dtype == torch.float32 and mixed.logits.dtype == torch.float32
    assert mixed.parts["total"] != plain.parts["total"]  # autocast did change the arithmetic
    assert mixed.parts["total"] == pytest.approx(plain.parts["total"], rel=0.05)


@pytest.mark.timeout(150)
def test_torchrun_cli_two_processes_print_and_write_once(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from lrpstudio.core.data.slice_dataset import save_dataset

    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=32), tmp_path / "data")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
               "-m", "lrpstudio", "train", str(data), "--out", str(tmp_path / "run"),
               "--epochs", "1", "--batch-size", "5", "--pinned", "1", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)  # one JSON document: only rank 0 printed
    assert summary["status"] == "finished" and summary["epochs_done"] == 1
    events = [e["event"] for e in RunFolder(tmp_path / "run").read_events()]
    assert events.count("start") == 1 and events.count("end") == 1
