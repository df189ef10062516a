"""The review queue on the built-in demo set, and the per-epoch relevance record's cost.

Rows:

- ``queue/<n> cases``: :func:`lrpstudio.app.review.build_queue` of a 128 px paper-CNN run
  over every tumour slice of ``n`` demo cases (40; 6 with ``quick``) on 2 threads: wall
  time, CPU time (all threads; on 2 otherwise idle cores the wall time is at most this,
  whatever else a shared machine runs) and slices per second (the target: under a minute
  for 40 cases on 2 cores);
- ``epoch/record``: the per-epoch record (``review/epoch_XXX.npz``) of the validation
  split after an epoch, and ``epoch/train`` the plain-CE training epoch it follows, on
  the same data and threads; ``overhead`` = record / train.

The run is trained for one epoch on the prepared demo slices (its weights do not change
the cost of scoring). Data and run are made in a temporary folder.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from lrpstudio.app.datasets import PrepareConfig, open_slices
from lrpstudio.app.review import build_queue
from lrpstudio.core.data.demo import DemoConfig, generate_demo
from lrpstudio.core.review.epochs import record_epoch
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.xai.guidance import GuidanceConfig

NAME = "review"
THREADS = 2


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": NAME, "case": case, "metric": metric, "value": float(value), "unit": unit}


def run(quick: bool = False) -> list[dict]:
    """Measure; returns rows for the benchmark table."""
    cases = 6 if quick else 40
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            demo = generate_demo(root / "demo", DemoConfig(cases=cases, seed=0))
            dataset = open_slices(demo, PrepareConfig(image_size=128), jobs=THREADS)
            config = TrainConfig(epochs=1, batch_size=16, pinned=0, warmup_epochs=0, image_size=128,
                                 guidance=GuidanceConfig(kind="none"))
            start = time.perf_counter()
            fit(config, dataset, run_dir=root / "run")
            epoch = time.perf_counter() - start
            model, saved, _ = load_run_model(root / "run", "best")
            start = time.perf_counter()
            record_epoch(root / "scratch", 1, model, dataset.subset("val"), saved.composite, saved.eval_batch_size)
            record = time.perf_counter() - start
            start, cpu = time.perf_counter(), time.process_time()
            queue = build_queue(root / "run", dataset, model=model)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        torch.set_num_threads(previous)
    label = f"{cases} cases"
    slices = len(queue.entries)
    return [_row(f"queue/{label}", "wall", seconds, "s"),
            _row(f"queue/{label}", "cpu", cpu, "s"),
            _row(f"queue/{label}", "slices", slices, "slices"),
            _row(f"queue/{label}", "throughput", slices / seconds, "slices/s"),
            _row("epoch/train", "wall (incl. record)", epoch, "s"),
            _row("epoch/record", "wall", record, "s"),
            _row("epoch/record", "overhead", record / max(epoch - record, 1e-9), "ratio")]
