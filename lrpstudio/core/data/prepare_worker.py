"""One unit of ``prepare``'s work: fingerprint a case, and extract its slices if needed.

:func:`process_case` runs in a worker process (or in-process), so its input and output
are plain picklable records. :func:`run_tasks` spreads tasks over a process pool with
progress and cancellation.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import nibabel as nib
import numpy as np

from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.prepare_cache import FileRecord, case_key, fingerprint, is_unchanged
from lrpstudio.core.data.artefacts import read_artefact
from lrpstudio.core.data.slicing import (
    CaseSlices, axial_slices, extract_slices, pad_to_square, resize_mask,
)
from lrpstudio.core.jobs import is_cancelled
from lrpstudio.core.errors import CancelledError, LrpStudioError, Problem

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CaseTask:
    """Everything a worker needs for one case.

    ``previous`` is the case's record in the last manifest (``{}`` when none); its
    ``key`` and ``status`` say whether the result can be reused, its ``files`` and
    ``correction`` records spare rehashing unchanged files.
    """

    case_id: str
    ref: Any  # lrpstudio.core.data.case.CaseRef (kept untyped: pickled to the worker)
    release: str
    grade: str
    files: dict[str, Path]
    correction: Path | None
    workspace: Any
    parameters: dict[str, Any]
    previous: dict[str, Any] = field(default_factory=dict)
    reusable: bool = False
    artefact: Path | None = None  # the case's artefact region in the workspace


@dataclass(frozen=True)
class CaseResult:
    """What became of one case: ``status`` is ``"extracted"``, ``"reused"`` or ``"skipped"``."""

    case_id: str
    status: str
    key: str | None
    files: dict[str, FileRecord]
    correction: FileRecord | None
    slices: CaseSlices | None = None
    axcodes: str | None = None
    problems: tuple[Problem, ...] = ()
    grade: str | None = None
    artefact: FileRecord | None = None
    forbidden: np.ndarray | None = None  # (K, H, W) bool per extracted slice; None: no region


def _fingerprints(task: CaseTask) -> tuple[dict[str, FileRecord], FileRecord | None]:
    old_files = task.previous.get("files") or {}
    files = {kind: fingerprint(path, old_files.get(kind)) for kind, path in sorted(task.files.items())}
    correction = None
    if task.correction is not None:
        correction = fingerprint(task.correction, task.previous.get("correction"))
    return files, correction


def _artefact_record(task: CaseTask) -> FileRecord | None:
    return None if task.artefact is None else fingerprint(task.artefact, task.previous.get("artefact"))


def _forbidden_slices(task: CaseTask, shape: tuple[int, ...], index: np.ndarray,
                      size: int) -> np.ndarray | None:
    """The artefact region on the chosen slices, prepared exactly like the tumour mask."""
    if task.artefact is None:
        return None
    region = read_artefact(task.artefact, shape)
    return resize_mask(pad_to_square(axial_slices(region, index)), size)


def _skip(task: CaseTask, files: dict[str, FileRecord], correction: FileRecord | None,
          key: str | None, problem: Problem) -> CaseResult:
    return CaseResult(task.case_id, "skipped", key, files, correction, problems=(problem,))


def _load_and_extract(task: CaseTask, files: dict[str, FileRecord],
                      correction: FileRecord | None, key: str) -> CaseResult:
    case = load_case(task.ref, workspace=task.workspace)
    used = getattr(case, "correction", None)
    if used is not None and (correction is None or Path(correction.path) != Path(used)):
        # The workspace answered differently than at planning time: key what was used.
        correction = fingerprint(Path(used))
        key = case_key(files, correction, task.release, task.grade, task.parameters,
                       _artefact_record(task))
    if case.problems:
        return replace(_skip(task, files, correction, key, case.problems[0]),
                       problems=tuple(case.problems))
    if case.seg is None or not np.any(case.seg > 0):
        return _skip(task, files, correction, key, Problem(
            task.case_id, Path(correction.path) if correction else task.files.get("seg"),
            "empty tumour mask: no slice can be chosen, excluded from training", "warning"))
    slices = extract_slices(
        [case.images[name] for name in task.parameters["channels"]], case.seg, case.brain_mask,
        count=task.parameters["count"], step=task.parameters["step"],
        size=task.parameters["image_size"], region=task.parameters["mask"])
    forbidden = _forbidden_slices(task, case.seg.shape, slices.slice_index, task.parameters["image_size"])
    axcodes = "".join(nib.aff2axcodes(case.affine))
    return CaseResult(task.case_id, "extracted", key, files, correction, slices, axcodes,
                      forbidden=forbidden)


def process_case(task: CaseTask) -> CaseResult:
    """Fingerprint one case; reuse its previous result or load it and extract its slices.

    Never raises for a bad case: a typed error or an unreadable file becomes a skipped
    result whose problem names the file.
    """
    return replace(_process(task), grade=task.grade)


def _process(task: CaseTask) -> CaseResult:
    try:
        files, correction = _fingerprints(task)
        artefact = _artefact_record(task)
    except OSError as error:
        return _skip(task, {}, None, None, Problem(
            task.case_id, Path(error.filename) if error.filename else None,
            f"cannot read the file: {error.strerror or error}"))
    key = case_key(files, correction, task.release, task.grade, task.parameters, artefact)
    if task.reusable and key == task.previous.get("key"):
        return CaseResult(task.case_id, "reused", key, files, correction, artefact=artefact)
    try:
        return replace(_load_and_extract(task, files, correction, key), artefact=artefact)
    except LrpStudioError as error:
        return _skip(task, files, correction, key, Problem.from_error(task.case_id, error))
    except Exception as error:  # noqa: BLE001 - one case never stops the data set
        # Every reader turns a bad file into a typed error; anything else (memory, I/O,
        # a bug) is still this case's problem only. No key: such a failure may be
        # passing, so the next run tries again.
        return _skip(task, files, correction, None, Problem(
            task.case_id, None, f"cannot prepare the case: {type(error).__name__}: {error}"))


def needs_reading(task: CaseTask) -> bool:
    """Whether a task must read files (hash or load); False when the reuse check is stat-only.

    Such tasks run in-process: a re-run on unchanged data then starts no worker at all.
    """
    if not task.reusable:
        return True
    old = task.previous.get("files") or {}
    try:
        if set(old) != set(task.files) or not all(
                is_unchanged(path, old.get(kind)) for kind, path in task.files.items()):
            return True
        if (task.artefact is None) != (task.previous.get("artefact") is None) or (
                task.artefact is not None and not is_unchanged(task.artefact, task.previous.get("artefact"))):
            return True
        if task.correction is not None:
            return not is_unchanged(task.correction, task.previous.get("correction"))
    except OSError:
        return True
    return task.previous.get("correction") is not None


def _limit_threads() -> None:
    """Worker initialiser: one BLAS/OpenMP thread per process, the processes use the cores."""
    try:
        from threadpoolctl import threadpool_limits  # optional: absent, the pool keeps its defaults

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def _report(progress: ProgressCallback | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


def _run_in_process(tasks: Sequence[CaseTask], progress: ProgressCallback | None,
                    cancel: Any) -> list[CaseResult]:
    results = []
    for done, task in enumerate(tasks, start=1):
        if is_cancelled(cancel):
            raise CancelledError("prepare was cancelled")
        results.append(process_case(task))
        _report(progress, done, len(tasks), task.case_id)
    return results


def run_tasks(tasks: Sequence[CaseTask], jobs: int, progress: ProgressCallback | None = None,
              cancel: Any = None) -> list[CaseResult]:
    """Process every task, in a pool of ``jobs`` processes when that helps.

    Tasks that need no file read (unchanged since the last build) run in-process; so
    does everything for a single job or task, and in a frozen application (where
    starting interpreter processes depends on the bundle). Results come back in task
    order. Raises :class:`CancelledError` when ``cancel`` fires; queued cases are dropped.
    """
    _report(progress, 0, len(tasks), "")
    heavy = [i for i, task in enumerate(tasks) if needs_reading(task)]
    if jobs <= 1 or len(heavy) <= 1 or getattr(sys, "frozen", False):
        return _run_in_process(tasks, progress, cancel)
    light = sorted(set(range(len(tasks))) - set(heavy))
    results: list[CaseResult | None] = [None] * len(tasks)
    for done, i in enumerate(light, start=1):
        results[i] = process_case(tasks[i])  # stat-only reuse: cheaper than a worker
        _report(progress, done, len(tasks), tasks[i].case_id)
    _run_pool(tasks, heavy, results, jobs, progress, cancel)
    return [r for r in results if r is not None]


def _run_pool(tasks: Sequence[CaseTask], indices: Sequence[int], results: list[CaseResult | None],
              jobs: int, progress: ProgressCallback | None, cancel: Any) -> None:
    """Process ``tasks[i]`` for ``i`` in ``indices`` in a process pool, filling ``results``."""
    # spawn, not fork: the GUI calls this from a thread, and forking a threaded Qt
    # process can deadlock the child.
    context = multiprocessing.get_context("spawn")
    offset = len(tasks) - len(indices)
    with ProcessPoolExecutor(max_workers=min(jobs, len(indices)), mp_context=context,
                             initializer=_limit_threads) as pool:
        futures: dict[Future[CaseResult], int] = {
            pool.submit(process_case, tasks[i]): i for i in indices}
        pending = set(futures)
        while pending:
            if is_cancelled(cancel):
                pool.shutdown(wait=True, cancel_futures=True)
                raise CancelledError("prepare was cancelled")
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                index = futures[future]
                results[index] = future.result()
                _report(progress, offset + len(indices) - len(pending), len(tasks),
                        tasks[index].case_id)
