"""Build the 2D slice dataset from a BraTS folder, reusing whatever has not changed.

``prepare_dataset`` discovers the cases, skips those unusable for training (recording
why), and extracts each remaining case's slices in a process pool
(:mod:`~lrpstudio.core.data.prepare_worker`), the pure numpy part being
:mod:`~lrpstudio.core.data.slicing`. Each case is cached by a key over its files'
hashes, its correction's hash, its grade and the parameters
(:mod:`~lrpstudio.core.data.prepare_cache`): on a re-run only the cases whose key
changed are read again, the others' rows are taken from the previous ``slices.npz``,
and when nothing changed at all nothing is written.

``dataset_from`` resolves a DATA_OR_DATASET argument: a prepared folder is loaded, a
BraTS folder is prepared into ``<workspace>/datasets/<config hash>/``.

Manifest (``manifest.json``) keys: ``format``, ``version`` (format version),
``lrpstudio_version``, ``parameters``, ``config_hash``, ``source`` (data root),
``build`` (incremented per write), ``orientation``, ``counts`` (slices per split and
grade), ``cases`` (per case: status, grade, split, key, files with size / mtime /
SHA-256, correction used with its hash, slice indices, axis codes, ``built`` = the
build that read it, problems, ``artefact``: its artefact region's fingerprint if any),
``forbidden`` (cases and slices with an artefact region, if any), ``skipped`` (problem records of the cases left out),
``problems`` (discovery problems not tied to a case), ``grade_tables`` (the grade CSVs
that may have set the labels, fingerprinted), ``last_run`` (cases extracted, reused and
skipped by the call that returned the dataset).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lrpstudio import __version__
from lrpstudio.core.data.artefacts import find_artefact
from lrpstudio.core.data.prepare_cache import fingerprint
from lrpstudio.core.data.balance import balance_warnings
from lrpstudio.core.data.prepare_config import PrepareConfig, slices_per_case
from lrpstudio.core.data.prepare_worker import (
    CaseResult, CaseTask, ProgressCallback, run_tasks,
)
from lrpstudio.core.data.dataset_store import settle
from lrpstudio.core.data.slice_dataset import (
    ARRAYS_FILE, GRADES, MANIFEST_FILE, SliceDataset, load_dataset, save_dataset, save_manifest,
)
from lrpstudio.core.data.slicing import split_cases
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.workspace import default_workspace, is_workspace, open_workspace
from lrpstudio.core.errors import CancelledError, DatasetError, Problem
from lrpstudio.core.jobs import is_cancelled

__all__ = ["PrepareConfig", "prepare_dataset", "dataset_from", "is_prepared_dataset"]

FORMAT = "lrpstudio-slice-dataset"
FORMAT_VERSION = 1
ORIENTATION = ("slice = volume[:, :, z].T: axial = third voxel axis; rows follow voxel axis j, "
               "columns voxel axis i; no flips")
#: Manifest keys that change on every write or are derived from the arrays.
_VOLATILE = ("build", "last_run", "cases_built", "forbidden")


@dataclass(frozen=True)
class _Previous:
    """The last build in the output folder: its manifest and its arrays."""

    manifest: dict[str, Any]
    dataset: SliceDataset | None

    def record(self, case_id: str) -> dict[str, Any]:
        return dict(self.manifest.get("cases", {}).get(case_id, {}))

    def rows(self, case_id: str) -> np.ndarray | None:
        """Rows of a previously prepared case, when they match its manifest record."""
        if self.dataset is None:
            return None
        rows = np.flatnonzero(self.dataset.case_ids == case_id)
        expected = self.record(case_id).get("slices", [])
        if rows.size == 0 or self.dataset.slice_index[rows].tolist() != expected:
            return None
        return rows


def is_prepared_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a prepared dataset folder (or its ``slices.npz``)."""
    path = Path(path)
    folder = path.parent if path.name == ARRAYS_FILE else path
    return (folder / ARRAYS_FILE).is_file() and (folder / MANIFEST_FILE).is_file()


def _check_output(out: Path) -> None:
    """Refuse to write into a folder that holds something other than a dataset."""
    if out.exists() and not out.is_dir():
        raise DatasetError("the output exists and is not a folder", out)
    # Temporary files of a killed writer do not make a folder "not empty".
    kept = [p for p in out.iterdir() if not (p.name.startswith(".") and p.name.endswith(".tmp"))] \
        if out.is_dir() else []
    if kept and not (out / MANIFEST_FILE).exists():
        raise DatasetError("the output folder is not empty and is not a prepared dataset; "
                           "choose a new or empty folder", out)


def _load_previous(out: Path) -> _Previous | None:
    """The previous build in ``out``, or None when there is none (or it is unreadable)."""
    if not is_prepared_dataset(out):
        return None
    try:
        dataset = load_dataset(out)
    except DatasetError:
        return None  # a damaged previous build is simply rebuilt
    manifest = dataset.manifest
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        return None
    return _Previous(manifest=manifest, dataset=dataset)


def _correction_path(ref: Any, workspace: Any) -> Path | None:
    """The correction the workspace holds for a case, or None."""
    if workspace is None:
        return None
    return workspace.find_correction(ref.id)


def _skip_reason(ref: Any, correction: Path | None) -> tuple[Problem, ...]:
    """Why a case is left out before reading it (empty when it must be read).

    A case with warnings only (an empty or missing segmentation) is still read when the
    workspace holds a correction for it: the correction may be what fixes it.
    """
    if ref.grade not in GRADES:
        return tuple(ref.problems) + (Problem(
            ref.id, None, "no grade: give a grade table (case,grade)", "warning"),)
    errors = tuple(p for p in ref.problems if p.severity == "error")
    if errors or (ref.problems and correction is None):
        return tuple(ref.problems)
    if "seg" not in ref.files and correction is None:
        return (Problem(ref.id, None, "no segmentation: excluded from training", "warning"),)
    return ()


def _plan(refs: Sequence[Any], config: PrepareConfig, workspace: Any,
          previous: _Previous | None) -> tuple[list[CaseTask], list[CaseResult]]:
    """Tasks for the cases that may be usable; skipped results for the others."""
    tasks: list[CaseTask] = []
    skipped: list[CaseResult] = []
    used_workspace = workspace if config.use_corrections else None
    usable: list[tuple[Any, Path | None]] = []
    for ref in sorted(refs, key=lambda r: r.id):
        correction = _correction_path(ref, used_workspace)
        problems = _skip_reason(ref, correction)
        if problems:
            skipped.append(CaseResult(ref.id, "skipped", None, {}, None, problems=problems,
                                      grade=ref.grade))
        else:
            usable.append((ref, correction))
    # The per-grade slice counts follow the class counts of the cases that can be used.
    cases = Counter(str(ref.grade) for ref, _ in usable)
    for ref, correction in usable:
        record = previous.record(ref.id) if previous else {}
        reusable = previous is not None and (
            record.get("status") == "skipped" or previous.rows(ref.id) is not None)
        tasks.append(CaseTask(
            case_id=ref.id, ref=ref, release=str(getattr(ref.release, "value", ref.release)),
            grade=ref.grade, files={k: Path(p) for k, p in ref.files.items()},
            correction=correction, workspace=used_workspace,
            parameters=config.extraction_parameters(ref.grade, cases), previous=record,
            reusable=reusable, artefact=find_artefact(used_workspace, ref.id)))
    return tasks, skipped


def _case_record(result: CaseResult, grade: str | None, split: str | None,
                 previous: _Previous | None, build: int) -> dict[str, Any]:
    old = previous.record(result.case_id) if previous else {}
    reused = result.status == "reused"
    status = old.get("status", "skipped") if reused else (
        "prepared" if result.status == "extracted" else "skipped")
    problems = old.get("problems", []) if reused else [p.as_dict() for p in result.problems]
    slices = (old.get("slices", []) if reused else
              result.slices.slice_index.tolist() if result.slices is not None else [])
    return {
        "status": status, "grade": grade, "split": split if status == "prepared" else None,
        "key": result.key, "files": {k: r.as_dict() for k, r in result.files.items()},
        "correction": result.correction.as_dict() if result.correction else None,
        "slices": slices, "axcodes": old.get("axcodes") if reused else result.axcodes,
        # The build that read the case (None: left out before reading, e.g. no grade).
        "built": old.get("built", build) if reused else (build if result.key else None),
        "problems": problems,
        # Only for a case with an artefact region: older manifests stay as they were.
        **({"artefact": result.artefact.as_dict()} if result.artefact is not None else {}),
    }


def _case_arrays(result: CaseResult, previous: _Previous | None) -> dict[str, np.ndarray]:
    """A prepared case's arrays: freshly extracted, or its rows of the previous build."""
    if result.slices is not None:
        s = result.slices
        forbidden = result.forbidden if result.forbidden is not None else np.zeros_like(s.tumor_masks)
        return {"images": s.images, "tumor_masks": s.tumor_masks,
                "brain_masks": s.brain_masks, "slice_index": s.slice_index, "forbidden_masks": forbidden}
    assert previous is not None and previous.dataset is not None
    rows = previous.rows(result.case_id)
    data = previous.dataset
    return {"images": data.images[rows], "tumor_masks": data.tumor_masks[rows],
            "brain_masks": data.brain_masks[rows], "slice_index": data.slice_index[rows],
            "forbidden_masks": data.forbidden[rows]}


def _assemble(results: list[CaseResult], records: dict[str, dict[str, Any]],
              previous: _Previous | None) -> dict[str, np.ndarray]:
    """Concatenate the prepared cases' rows in case-id order."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "images", "tumor_masks", "brain_masks", "slice_index", "labels", "case_ids", "split",
        "forbidden_masks")}
    for result in sorted(results, key=lambda r: r.case_id):
        record = records[result.case_id]
        if record["status"] != "prepared":
            continue
        arrays = _case_arrays(result, previous)
        n = len(arrays["slice_index"])
        for name, value in arrays.items():
            parts[name].append(value)
        parts["labels"].append(np.full(n, GRADES.index(record["grade"]), np.int64))
        parts["case_ids"].append(np.full(n, result.case_id))
        parts["split"].append(np.full(n, record["split"]))
    if not parts["labels"]:
        return {}
    return {name: np.concatenate(values) for name, values in parts.items()}


def _counts(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    counts = {split: {grade: 0 for grade in GRADES} for split in ("train", "val", "test")}
    for record in records.values():
        if record["status"] == "prepared":
            counts[record["split"]][record["grade"]] += len(record["slices"])
    return counts


def _manifest(config: PrepareConfig, data_root: Path, records: dict[str, dict[str, Any]],
              problems: Sequence[Problem], results: list[CaseResult], build: int) -> dict[str, Any]:
    skipped = [p for r in records.values() if r["status"] == "skipped" for p in r["problems"]]
    counts = _counts(records)
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "lrpstudio_version": __version__,
        "parameters": config.as_dict(), "config_hash": config.config_hash(),
        "source": str(data_root), "build": build, "orientation": ORIENTATION,
        "counts": counts, "balance": {"mode": config.balance,
                                      "slices_per_case": slices_per_case(config, records),
                                      "warnings": balance_warnings(counts)},
        "cases": records, "skipped": skipped,
        "problems": [p.as_dict() for p in problems if p.case is None],
        "last_run": {status: sorted(r.case_id for r in results if r.status == status)
                     for status in ("extracted", "reused", "skipped")},
    }


def _same_data(new: dict[str, Any], old: dict[str, Any]) -> bool:
    def strip(manifest: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in manifest.items() if k not in _VOLATILE}

    return strip(new) == strip(old)


def prepare_dataset(
    data_root: str | Path,
    out: str | Path,
    config: PrepareConfig | None = None,
    workspace: Any = None,
    progress: ProgressCallback | None = None,
    cancel: Any = None,
    *,
    jobs: int | None = None,
) -> SliceDataset:
    """Prepare (or update) the slice dataset of a BraTS folder in ``out``.

    Parameters
    ----------
    data_root
        A BraTS folder in any supported layout.
    out
        The dataset folder (created; an existing dataset there is updated in place and
        its unchanged cases are reused).
    config
        Parameters; :class:`PrepareConfig` defaults when None.
    workspace
        Where corrected masks live (used when ``config.use_corrections``).
    progress
        Called as ``progress(done, total, case_id)`` after each case.
    cancel
        A cancel token (``TrainControl``, ``threading.Event`` or callable); checked
        between cases. Cancelling raises :class:`CancelledError` and writes nothing.
    jobs
        Worker processes (default: every core).

    Returns
    -------
    SliceDataset
        The dataset, its manifest included.

    Raises
    ------
    DatasetError
        When no case could be prepared, or ``out`` is an unrelated non-empty folder.
    """
    config = config or PrepareConfig()
    # Absolute paths in the manifest: a re-run from another folder still matches them.
    data_root, out = Path(data_root).absolute(), Path(out)
    settle(out)  # finish or undo a build a killed process left half swapped in
    _check_output(out)
    refs, problems = discover(data_root, grades=config.grades)
    previous = _load_previous(out)
    tasks, skipped = _plan(refs, config, workspace, previous)
    results = run_tasks(tasks, jobs or os.cpu_count() or 1, progress, cancel) + skipped
    if is_cancelled(cancel):
        raise CancelledError("prepare was cancelled")
    return _write(results, problems, config, data_root, out, previous)


def _records(results: list[CaseResult], config: PrepareConfig, previous: _Previous | None,
             build: int) -> dict[str, dict[str, Any]]:
    """Per-case manifest records, with the patient-level split of the prepared cases."""
    grades = {r.case_id: r.grade for r in results if r.grade}
    ready = {r.case_id: grades[r.case_id] for r in results
             if r.status == "extracted" or (r.status == "reused" and previous is not None
                                            and previous.record(r.case_id).get("status") == "prepared")}
    splits = split_cases(ready, config.split, config.seed)
    return {r.case_id: _case_record(r, grades.get(r.case_id), splits.get(r.case_id), previous, build)
            for r in sorted(results, key=lambda r: r.case_id)}


def _rows_of(records: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the arrays hold, case by case: id, grade, split and slice indices."""
    return [(cid, r["grade"], r["split"], r["slices"]) for cid, r in sorted(records.items())
            if r["status"] == "prepared"]


def _grade_tables(data_root: Path, config: PrepareConfig) -> list[dict[str, Any]]:
    """Fingerprints of the grade tables that may have set the labels."""
    candidates = [data_root / "name_mapping.csv", data_root / "grades.csv"]
    if config.grades:
        candidates.append(Path(config.grades))
    return [fingerprint(p).as_dict() for p in candidates if p.is_file()]


def _nothing_prepared(manifest: dict[str, Any]) -> str:
    """The one-line reason why a dataset could not be built."""
    if not manifest["cases"]:
        return "no BraTS case found in the folder"
    reasons = "; ".join(f"{p['case']}: {p['problem']}" for p in manifest["skipped"][:3])
    more = len(manifest["skipped"]) - 3
    return (f"no case could be prepared ({len(manifest['cases'])} found): {reasons}"
            + (f"; and {more} more problems" if more > 0 else ""))


def _write(results: list[CaseResult], problems: Sequence[Problem], config: PrepareConfig,
           data_root: Path, out: Path, previous: _Previous | None) -> SliceDataset:
    """Assemble the dataset and write what changed (nothing, the manifest, or both files)."""
    build = int(previous.manifest.get("build", 0)) + 1 if previous else 1
    records = _records(results, config, previous, build)
    manifest = _manifest(config, data_root, records, problems, results, build)
    manifest["grade_tables"] = _grade_tables(data_root, config)
    if previous is not None and previous.dataset is not None:
        if _same_data(manifest, previous.manifest):
            # Nothing changed: the files stay as they are; the returned manifest still says
            # what this call did (its last_run), the one on disk what the last write did.
            kept = {**previous.manifest, "last_run": manifest["last_run"]}
            return replace(previous.dataset, manifest=kept)
        if not manifest["last_run"]["extracted"] and \
                _rows_of(records) == _rows_of(previous.manifest.get("cases", {})):
            # Same rows (e.g. a touched file, a new broken case): rewrite the manifest only.
            manifest.update(previous.dataset.forbidden_record())
            save_manifest(manifest, out)
            return replace(previous.dataset, manifest=manifest)
    arrays = _assemble(results, records, previous)
    if not arrays:
        raise DatasetError(_nothing_prepared(manifest), data_root)
    dataset = SliceDataset(**arrays, channels=config.channels, manifest=manifest)
    manifest.update(dataset.forbidden_record())
    save_dataset(dataset, out)
    return dataset


def dataset_from(
    path: str | Path,
    config: PrepareConfig | None = None,
    workspace: Any = None,
    progress: ProgressCallback | None = None,
    cancel: Any = None,
    *,
    jobs: int | None = None,
) -> SliceDataset:
    """Resolve a DATA_OR_DATASET argument to a slice dataset.

    A prepared dataset folder (or its ``slices.npz``) is loaded as it is (``config`` is
    then ignored: the dataset's own parameters are in its manifest). A BraTS folder is
    prepared into ``<workspace>/datasets/<config hash>/``, which later calls reuse
    while nothing changed; the workspace defaults to the folder's default workspace.
    A workspace folder stands for the data folder it records.

    Raises
    ------
    DatasetError
        When ``path`` does not exist or holds neither a dataset nor any case.
    """
    path = Path(path)
    settle(path.parent if path.name == ARRAYS_FILE else path)
    if is_prepared_dataset(path):
        return load_dataset(path)
    if not path.is_dir():
        raise DatasetError("no such dataset or data folder", path)
    if is_workspace(path):  # a workspace stands for its data folder
        workspace = open_workspace(path) if workspace is None else workspace
        if workspace.data_root is None:
            raise DatasetError("the workspace records no data folder", path)
        path = Path(workspace.data_root)
    config = config or PrepareConfig()
    workspace = workspace if workspace is not None else default_workspace(path)
    out = workspace.contain(Path(workspace.root) / "datasets" / config.config_hash())
    return prepare_dataset(path, out, config, workspace, progress, cancel, jobs=jobs)
