"""Make a whole demo data set, in parallel, and the built-in set on first use.

Each case is made from its own seed derived from ``(seed, index)``, in a worker process
(all cores; in-process when there is one case, one worker, or in a frozen app). The
final marker file is written last, so a folder with it is a complete set.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from lrpstudio.core.data.demo.synth import synthesize_case
from lrpstudio.core.data.demo.writer import (
    DEMO_LAYOUTS, DESIGN, case_folder, demo_case_id, is_demo_set, read_marker, remove_demo_set,
    write_case_files, write_grade_table, write_marker,
)
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.jobs import is_cancelled
from lrpstudio.core.errors import CancelledError, DemoDataError
from lrpstudio.core.paths import demo_data_dir

#: The BraTS grid: 240 x 240 x 155 voxels of 1 mm.
BRATS_SHAPE: tuple[int, int, int] = (240, 240, 155)
#: Progress callback: (cases done, cases in all, message).
ProgressCallback = Callable[[int, int, str], None]


class CancelToken(Protocol):
    """Anything with a ``cancelled`` flag (e.g. :class:`lrpstudio.core.train.control.TrainControl`)."""

    @property
    def cancelled(self) -> bool:  # pragma: no cover - protocol
        ...


#: A cancel token, or a function that returns True when the job should stop.
Cancel = CancelToken | Callable[[], bool]


@dataclass(frozen=True)
class DemoConfig:
    """What demo set to make.

    Attributes
    ----------
    cases
        Number of cases (1-999).
    seed
        Seed of the whole set; case ``i`` uses ``(seed, i)``.
    layout
        BraTS layout to write: brats2020, brats2019, brats2021 or brats2023.
    shortcut
        Strength S in [0, 1] of the grade-correlated shortcut outside the tumour
        (0 = none, 1 = present exactly in the HGG cases).
    shape
        Volume shape; BraTS is (240, 240, 155). Small shapes make quick test data.
    hgg_fraction
        Share of HGG cases (rounded; with 2+ cases there is at least one of each grade).
    workers
        Worker processes (None = all cores).
    """

    cases: int = 40
    seed: int = 0
    layout: Release = Release.BRATS2020
    shortcut: float = 0.7
    shape: tuple[int, int, int] = BRATS_SHAPE
    hgg_fraction: float = 0.6
    workers: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", Release(self.layout))
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        checks = [
            (1 <= self.cases <= 999, "cases must be between 1 and 999", "1..999", self.cases),
            (0.0 <= self.shortcut <= 1.0, "shortcut strength must be in [0, 1]", "0..1", self.shortcut),
            (0.0 <= self.hgg_fraction <= 1.0, "hgg_fraction must be in [0, 1]", "0..1",
             self.hgg_fraction),
            (self.layout in DEMO_LAYOUTS, "unsupported demo layout",
             [r.value for r in DEMO_LAYOUTS], self.layout.value),
            (len(self.shape) == 3 and min(self.shape) >= 16, "shape must be 3 sizes of at least 16",
             "(x, y, z) >= 16", self.shape),
            (self.workers is None or self.workers >= 1, "workers must be at least 1", ">= 1",
             self.workers),
        ]
        for ok, problem, expected, actual in checks:
            if not ok:
                raise DemoDataError(problem, expected=expected, actual=actual)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (without ``workers``, which does not change the data)."""
        out = asdict(self)
        out.pop("workers")
        out["layout"] = self.layout.value
        out["shape"] = list(self.shape)
        return out


#: The built-in demo set: 40 cases (24 HGG, 16 LGG), BraTS 2020 layout, and a moderate
#: shortcut (S = 0.7) so that a plain classifier can cheat, as in the paper.
DEFAULT_DEMO = DemoConfig()


def case_grades(config: DemoConfig) -> list[str]:
    """The grade of every case of ``config``, in index order (a seeded shuffle)."""
    n = config.cases
    n_hgg = int(round(n * config.hgg_fraction))
    if n >= 2 and 0.0 < config.hgg_fraction < 1.0:
        n_hgg = min(max(n_hgg, 1), n - 1)
    grades = np.array(["HGG"] * n_hgg + ["LGG"] * (n - n_hgg))
    order = np.random.default_rng(np.random.SeedSequence([int(config.seed), 0x6EADE5])).permutation(n)
    return [str(g) for g in grades[order]]


def make_case(root: str, config: DemoConfig, index: int, grade: str) -> dict[str, Any]:
    """Make and write case ``index`` (1-based) of ``config`` under ``root``; return its record.

    A top-level function, so worker processes can run it.
    """
    case = synthesize_case(config.shape, config.seed, index, grade, config.shortcut)
    case_id = demo_case_id(config.layout, index)
    folder = write_case_files(Path(root), config.layout, case_id, grade, case.images, case.seg)
    return {"id": case_id, "index": index, "grade": grade,
            "folder": folder.relative_to(root).as_posix(),
            "shortcut": case.shortcut.as_dict(), **case.info}


def worker_count(config: DemoConfig) -> int:
    """How many processes to use: all cores, at most one per case, 1 in a frozen app."""
    if getattr(sys, "frozen", False):
        return 1  # a frozen app cannot always re-launch itself as a worker
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(config.workers or cores, config.cases))


def _run_serial(root: str, config: DemoConfig, grades: list[str], progress: ProgressCallback,
                cancel: Cancel | None) -> list[dict[str, Any]]:
    records = []
    for i, grade in enumerate(grades, start=1):
        if is_cancelled(cancel):
            raise CancelledError("demo data generation cancelled", root)
        records.append(make_case(root, config, i, grade))
        progress(i, len(grades), records[-1]["id"])
    return records


def _run_parallel(root: str, config: DemoConfig, grades: list[str], workers: int,
                  progress: ProgressCallback, cancel: Cancel | None) -> list[dict[str, Any]]:
    # "spawn": a clean interpreter per worker, safe when the caller runs Qt threads.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    records: list[dict[str, Any]] = []
    try:
        pending: set[Future] = {pool.submit(make_case, root, config, i, grade)
                                for i, grade in enumerate(grades, start=1)}
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                records.append(future.result())
                progress(len(records), len(grades), records[-1]["id"])
            if pending and is_cancelled(cancel):
                raise CancelledError("demo data generation cancelled", root)
    except BaseException:
        # Cancel, Ctrl-C or a failed case: drop the queued cases instead of making them all.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(records, key=lambda r: r["index"])


def generate_demo(out: str | Path, config: DemoConfig = DEFAULT_DEMO,
                  progress: ProgressCallback | None = None, cancel: Cancel | None = None) -> Path:
    """Write a demo data set into ``out`` (created if needed) and return ``out``.

    Parameters
    ----------
    out
        The data root. Files of the same names are overwritten; nothing else is touched
        (callers decide whether ``out`` may be used, see :func:`ensure_demo_data`).
    config
        What to make.
    progress
        Called as ``progress(done, total, case_id)`` after each case.
    cancel
        A token with a ``cancelled`` flag or a function returning True to stop; checked
        between cases. Once it says stop, the job ends with
        :class:`~lrpstudio.core.errors.CancelledError` and the marker stays incomplete.

    Returns
    -------
    Path
        ``out``, holding the cases, the release's grade table and the marker file.
    """
    root = Path(out)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoDataError(f"cannot create the folder: {error.strerror or error}", root) from error
    grades = case_grades(config)
    planned = [{"id": demo_case_id(config.layout, i), "index": i, "grade": g,
                "folder": case_folder(root, config.layout, demo_case_id(config.layout, i), g)
                .relative_to(root).as_posix()} for i, g in enumerate(grades, start=1)]
    write_marker(root, config.as_dict(), planned, complete=False)
    report = progress or (lambda done, total, message: None)
    start = time.perf_counter()
    workers = worker_count(config)
    if workers == 1:
        records = _run_serial(str(root), config, grades, report, cancel)
    else:
        records = _run_parallel(str(root), config, grades, workers, report, cancel)
    write_grade_table(root, config.layout, records)
    meta = {**config.as_dict(), "seconds": round(time.perf_counter() - start, 2)}
    write_marker(root, meta, records)
    return root


def ensure_demo_data(folder: str | Path | None = None, progress: ProgressCallback | None = None,
                     cancel: Cancel | None = None, config: DemoConfig = DEFAULT_DEMO) -> Path:
    """The built-in demo set, generated on first use; returns its data root.

    The set is built in a sibling ``<folder>.partial`` and renamed into place once its
    marker is written, so an interrupted generation is simply redone next time.

    Parameters
    ----------
    folder
        Where the set lives (default :func:`lrpstudio.core.paths.demo_data_dir` of the
        current :data:`~lrpstudio.core.data.demo.writer.DESIGN`).
    progress, cancel
        As for :func:`generate_demo`.
    config
        The set to make when there is none yet (default :data:`DEFAULT_DEMO`).

    Raises
    ------
    DemoDataError
        When ``folder`` exists, is not empty and is not a demo set.
    """
    folder = Path(folder) if folder is not None else demo_data_dir(DESIGN)
    if is_demo_set(folder):
        return folder
    if read_marker(folder) is not None:
        remove_demo_set(folder)  # an interrupted `lrpstudio demo-data` into this folder
    if folder.exists() and any(folder.iterdir()):
        raise DemoDataError("the demo data folder holds other files; move them away or choose "
                            "another folder", folder)
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # left by an interrupted generation: ours to remove
    generate_demo(partial, config, progress, cancel)
    if folder.exists():
        folder.rmdir()  # empty (checked above)
    os.replace(partial, folder)
    return folder
