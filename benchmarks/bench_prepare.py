"""``prepare`` throughput against plain nibabel loading of the same files, in one run.

Rows (cases/s, and ratios to the nibabel baseline measured in the same run):

- ``nibabel_load``: read every file of every case with ``nibabel`` (one process) — the
  floor that any preparation has to pay for decompression alone;
- ``prepare_cold_jobsN``: ``prepare_dataset`` into a fresh folder with N processes;
- ``prepare_cold_jobs1``: the same in-process;
- ``prepare_warm``: a re-run on unchanged inputs (everything reused from the cache).

Inputs are BraTS-sized (240 x 240 x 155) demo cases, written once into a temporary folder.
Each time is the best of a few runs (cold runs into fresh folders): on a shared machine
the best run is the one least disturbed by other processes, for both sides of a ratio.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import nibabel as nib
import numpy as np

from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset

SHAPE = (240, 240, 155)


def _make_inputs(root: Path, cases: int) -> Path:
    """BraTS-sized cases: the demo generator when present, else the test factory."""
    try:
        from lrpstudio.core.data.demo.generate import DemoConfig, generate_demo

        return generate_demo(root, DemoConfig(cases=cases, seed=0, shape=SHAPE))
    except ImportError:  # pragma: no cover - demo generator not part of this build
        from lrpstudio.core.data.layouts import Release
        from tests.brats_factory import write_dataset

        return write_dataset(root, Release.BRATS2020, cases - cases // 3, cases // 3, shape=SHAPE)


def _volume_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.nii*") if not any(part.startswith(".") for part in p.parts))


def _timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def _best(job: Callable[[int], object], repeats: int) -> float:
    """Best wall time of ``repeats`` runs (the least disturbed by other processes on a
    shared machine); ``job`` gets the run number (a fresh output folder per cold run)."""
    return min(_timed(lambda i=i: job(i)) for i in range(repeats))


def _nibabel_load(files: list[Path]) -> None:
    for path in files:
        np.asanyarray(nib.load(str(path)).dataobj)


def run(quick: bool = False) -> list[dict]:
    """Measure and return the benchmark rows."""
    cases = 4 if quick else 12
    jobs = os.cpu_count() or 1
    rows: list[dict] = []

    def row(case: str, metric: str, value: float, unit: str) -> None:
        rows.append({"benchmark": "prepare", "case": case, "metric": metric,
                     "value": float(value), "unit": unit})

    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        root = _make_inputs(Path(tmp) / "data", cases)
        files = _volume_files(root)
        config = PrepareConfig(use_corrections=False)
        repeats = 2 if quick else 3
        base = _best(lambda _: _nibabel_load(files), repeats)
        times = {
            f"prepare_cold_jobs{jobs}": _best(lambda i: prepare_dataset(
                root, Path(tmp) / f"a{i}", config, jobs=jobs), repeats),
            "prepare_warm": _best(lambda _: prepare_dataset(root, Path(tmp) / "a0", config,
                                                            jobs=jobs), repeats),
            "prepare_cold_jobs1": _best(lambda i: prepare_dataset(
                root, Path(tmp) / f"b{i}", config, jobs=1), repeats),
        }
        row(f"{cases} cases {SHAPE}", "nibabel_load", cases / base, "cases/s")
        for name, seconds in times.items():
            row(f"{cases} cases {SHAPE}", name, cases / seconds, "cases/s")
            row(f"{cases} cases {SHAPE}", f"{name}_vs_nibabel_load", base / seconds, "ratio")
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick=True):
        print(f"{r['case']:32s} {r['metric']:36s} {r['value']:10.3f} {r['unit']}")
