"""Find BraTS cases under a folder: layouts, files, grades, and every problem.

Recognised layouts (see :mod:`lrpstudio.core.data.layouts`):

- 2018/2019: ``HGG/<case>/`` and ``LGG/<case>/``, files ``<case>_{t1,t1ce,t2,flair,seg}``;
- 2020: ``BraTS20_Training_NNN/`` plus ``name_mapping.csv`` (column ``Grade``);
- 2021: ``BraTS2021_NNNNN/``;
- 2023+: ``BraTS-GLI-NNNNN-NNN/`` with ``-{t1n,t1c,t2w,t2f,seg}``. BraTS 2024 uses the same
  names but label 4 = resection cavity: it is chosen by a root folder name containing
  "2024" or by ``release="brats2024"``, never from the label values.

Files may be ``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha`` or ``.mhd``. Files are matched by
their modality suffix, so a renamed case folder still works; other files (``.DS_Store``,
zips, ``.raw`` data of ``.mhd``) are ignored quietly. The root may also be one case folder.

Discovery reads headers only (fast); ``deep=True`` also reads the voxels and checks the
values (what ``lrpstudio inspect`` does).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping

from lrpstudio.core.data.case import CaseRef
from lrpstudio.core.data.grades import (
    GradeTable,
    find_grade_tables,
    grade_from_folder,
    merge_tables,
    read_grades_csv,
)
from lrpstudio.core.data.layouts import (
    CASE_NAME_PATTERNS,
    FILE_SUFFIXES,
    LABEL_CONVENTIONS,
    MODALITIES,
    Release,
    case_file_name,
    separator,
    split_extension,
)
from lrpstudio.core.data.discovery_report import dataset_problems, mark_duplicates
from lrpstudio.core.data.validation import check_case_files
from lrpstudio.core.errors import AmbiguousFilesError, CancelledError, InputError, Problem

ProgressCallback = Callable[[int, int, str], None]
#: Returns True when the job should stop (e.g. ``token.is_cancelled``).
CancelCheck = Callable[[], bool]

_IGNORED_DIRS = ("__MACOSX",)
_MAX_DEPTH = 6
_FAMILY_2017 = Release.BRATS2021  # representative of the 2017-2021 naming family
_FAMILY_2023 = Release.BRATS2023


@dataclass(frozen=True)
class FolderFiles:
    """The volume files of one folder, sorted into kinds."""

    release: Release
    files: dict[str, Path]
    missing: dict[str, Path]
    problems: list[Problem]


def parse_release(value: Release | str | None) -> Release | None:
    """A :class:`Release` from its value (``"brats2024"``) or None."""
    if value is None or isinstance(value, Release):
        return value
    try:
        return Release(str(value).lower())
    except ValueError:
        raise InputError(f"unknown release {value!r}",
                         expected=", ".join(r.value for r in Release if r is not Release.SINGLE),
                         actual=value) from None


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name in _IGNORED_DIRS


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``entry.is_dir()``, False where it raises (a symbolic link loop raises ELOOP)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def volume_files(folder: Path, *, folders: bool = False) -> list[Path]:
    """Entries of ``folder`` named like volume files.

    Not only regular files: a named pipe, a broken link or a link loop named like a
    volume is listed too, so that the reader names what it is instead of the file being
    "missing". With ``folders``, so is a folder named like a volume (in a case folder);
    without, such a folder does not make its parent look like a case.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(Path(e.path) for e in entries
                  if not _is_hidden(e.name) and split_extension(e.name)[1]
                  and (folders or not _is_dir(e)))


def iter_case_folders(root: Path, max_depth: int = _MAX_DEPTH) -> Iterator[Path]:
    """Folders under ``root`` (root included) that hold volume files; not below those.

    A folder named like a case (``BraTS2021_00001``) is yielded even when it holds no
    volume file, so that a case whose files are all missing is reported, not skipped.
    """
    if volume_files(root) or _family_from_name(root.name) is not None:
        yield root
        return
    if max_depth == 0:
        return
    try:
        subdirs = sorted(Path(e.path) for e in os.scandir(root)
                         if _is_dir(e) and not _is_hidden(e.name))
    except OSError:
        return
    for sub in subdirs:
        yield from iter_case_folders(sub, max_depth - 1)


def _family_kinds(family: Release) -> dict[str, str]:
    """Lower-case stem ending -> kind for a naming family."""
    sep = separator(family)
    return {f"{sep}{suffix}": kind for kind, suffix in FILE_SUFFIXES[family].items()}


def _kind_of(stem: str, family: Release) -> str | None:
    lower = stem.lower()
    for ending, kind in _family_kinds(family).items():
        if lower.endswith(ending):
            return kind
    return None


def _family_from_name(name: str) -> Release | None:
    """The naming family a case folder name suggests (None for other names)."""
    for release, pattern in CASE_NAME_PATTERNS.items():
        if re.match(pattern, name, re.IGNORECASE):
            return _FAMILY_2023 if separator(release) == "-" else _FAMILY_2017
    return None


def _detect_family(paths: list[Path]) -> Release | None:
    stems = [split_extension(p.name)[0] for p in paths]
    counts = {fam: sum(_kind_of(s, fam) is not None for s in stems)
              for fam in (_FAMILY_2017, _FAMILY_2023)}
    best = max(counts, key=lambda fam: counts[fam])
    return best if counts[best] else None


def detect_release(folder: Path, family: Release, override: Release | None,
                   root_says_2024: bool) -> Release:
    """The release of a case folder from its naming family, names and parent folder."""
    if family is _FAMILY_2023:
        if override in (Release.BRATS2023, Release.BRATS2024):
            return override
        return Release.BRATS2024 if root_says_2024 else Release.BRATS2023
    if override in (Release.BRATS2019, Release.BRATS2020, Release.BRATS2021):
        return override
    if grade_from_folder(folder.parent.name):
        return Release.BRATS2019
    for release in (Release.BRATS2020, Release.BRATS2021):
        if re.match(CASE_NAME_PATTERNS[release], folder.name):
            return release
    # 2018 names start "Brats18_", 2019 names "BraTS19_": match without case.
    if re.match(CASE_NAME_PATTERNS[Release.BRATS2019], folder.name, re.IGNORECASE):
        return Release.BRATS2019
    return Release.BRATS2021  # same names and labels as 2017-2021


def sort_files(folder: Path, release: Release, paths: list[Path]) -> FolderFiles:
    """Sort a folder's volume files into kinds; note duplicates and missing modalities."""
    found: dict[str, list[Path]] = {}
    unknown: list[Path] = []
    for path in paths:
        kind = _kind_of(split_extension(path.name)[0], release)
        (found.setdefault(kind, []) if kind else unknown).append(path)
    if "seg" not in found:
        # BraTS 2020 case 355's seg is "W39_1998.09.19_Segm.nii": accept one stray "seg" file.
        segs = [p for p in unknown if "seg" in p.name.lower()]
        if len(segs) == 1:
            found["seg"] = segs
            unknown.remove(segs[0])
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    order = {kind: i for i, kind in enumerate((*MODALITIES, "seg"))}
    for kind, candidates in sorted(found.items(), key=lambda item: order[item[0]]):
        # A folder or pipe named like a volume is reported only when it is all there is:
        # beside a real file of its kind it is not a second candidate.
        candidates = [p for p in candidates if p.is_file()] or candidates
        files[kind] = candidates[0]
        if len(candidates) > 1:
            error = AmbiguousFilesError(
                f"{len(candidates)} files for {kind}: " + ", ".join(p.name for p in candidates),
                folder, expected="one file", actual=len(candidates))
            problems.append(Problem.from_error(folder.name, error))
    ext = split_extension(files[next(iter(files))].name)[1] if files else ".nii.gz"
    missing = {kind: folder / case_file_name(release, folder.name, kind, ext)
               for kind in (*MODALITIES, "seg") if kind not in files}
    if set(missing) - {"seg"} and unknown:
        names = ", ".join(p.name for p in unknown[:5])
        problems.append(Problem(folder.name, folder,
                                f"unrecognised volume files (not used): {names}", "warning"))
    return FolderFiles(release, files, missing, problems)


def dataset_hints(root: Path) -> tuple[bool, list[GradeTable]]:
    """Whether the root names 2024, and the grade tables it holds by itself."""
    # A case folder's own name may hold "2024" as a number (BraTS-GLI-02024-100): skip it.
    names = [root.parent.name] if volume_files(root) else [root.name]
    says_2024 = any("2024" in n for n in names)
    tables = find_grade_tables(root)
    if volume_files(root):  # the root is one case: its data set's tables are one up
        tables = find_grade_tables(root.parent) + tables
    return says_2024, tables


def _grade_for(folder: Path, table: GradeTable, explicit: GradeTable | None) -> str | None:
    if explicit is not None and explicit.get(folder.name):
        return explicit.get(folder.name)
    return grade_from_folder(folder.parent.name) or table.get(folder.name)


def scan_case(folder: Path, *, release: Release | None = None, root_says_2024: bool = False,
              table: GradeTable | None = None, explicit: GradeTable | None = None,
              deep: bool = False) -> CaseRef:
    """One case folder -> :class:`CaseRef` with every problem found in it."""
    paths = volume_files(folder, folders=True)
    family = _detect_family(paths) or _family_from_name(folder.name)
    if family is None:
        problem = Problem(folder.name, folder, "no BraTS-named volume files (expected names like "
                          f"{case_file_name(Release.BRATS2021, folder.name, 't1')})")
        return CaseRef(folder.name, None, Release.SINGLE, "unknown", folder, {}, (problem,))
    rel = detect_release(folder, family, release, root_says_2024)
    sorted_files = sort_files(folder, rel, paths)
    convention = LABEL_CONVENTIONS[rel]
    check = check_case_files(folder.name, sorted_files.files, rel, convention, deep=deep,
                             missing=sorted_files.missing)
    grade = _grade_for(folder, table or GradeTable(), explicit)
    return CaseRef(id=folder.name, grade=grade, release=rel, label_convention=convention.name,
                   folder=folder, files=dict(sorted_files.files),
                   problems=tuple(sorted_files.problems + check.problems))


def _load_explicit(grades: GradeTable | str | Path | None) -> GradeTable | None:
    if grades is None or isinstance(grades, GradeTable):
        return grades
    return read_grades_csv(grades)


def discover(
    root: str | Path,
    grades: GradeTable | str | Path | None = None,
    *,
    release: Release | str | None = None,
    deep: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    workers: int = 4,
) -> tuple[list[CaseRef], list[Problem]]:
    """Find every case under ``root`` and every problem, with its file.

    Parameters
    ----------
    root
        A data folder (any BraTS layout) or one case folder.
    grades
        A ``case,grade`` CSV (or a loaded :class:`GradeTable`) that overrides the grades
        found in folders, ``name_mapping.csv`` or a ``grades.csv`` in the root.
    release
        Force a release where names allow several (``"brats2024"`` for 2023-named data
        whose label 4 is resection cavity; ``"brats2019"``/``"brats2020"``/``"brats2021"``).
    deep
        Also read the voxels: NaN/inf, segmentation values, empty tumours.
    progress
        Called as ``progress(done, total, case_id)``.
    cancel
        Polled between cases; when it returns True, :class:`CancelledError` is raised.
    workers
        Threads reading cases (decompression releases the GIL); at most 2 when ``deep``.

    Returns
    -------
    (cases, problems)
        Cases sorted by id; ``problems`` holds every case's problems followed by
        data-set-level ones (case None), e.g. unlabelled cases or unmatched grade rows.

    Raises
    ------
    InputError
        ``root`` does not exist; GradeError for a bad grade table.
    """
    root = Path(root)
    if not root.exists():
        raise InputError("data folder does not exist", root)
    if not root.is_dir():
        raise InputError("not a folder (open a single volume with load_case)", root)
    forced = parse_release(release)
    explicit = _load_explicit(grades)
    says_2024, tables = dataset_hints(root)
    table = merge_tables(tables)
    folders = list(iter_case_folders(root))
    scan = _Scan(root, forced, says_2024, table, explicit, deep)
    # Deep scans hold whole volumes (and read a case's files in parallel themselves):
    # two cases at a time bound the memory to ~10 volumes.
    cases = _scan_all(scan, folders, progress, cancel, min(workers, 2) if deep else workers)
    cases = mark_duplicates(cases)
    cases.sort(key=lambda c: c.id)
    problems = [p for case in cases for p in case.problems]
    problems += dataset_problems(cases, explicit, forced)
    return cases, problems


def _names_2024(root: Path, folder: Path) -> bool:
    """True when a folder between the root and the case (not the case itself) names 2024."""
    try:
        between = folder.relative_to(root).parts[:-1]
    except ValueError:
        return False
    return any("2024" in part for part in between)


@dataclass(frozen=True)
class _Scan:
    """What every case scan of one discovery shares."""

    root: Path
    forced: Release | None
    says_2024: bool
    table: GradeTable
    explicit: GradeTable | None
    deep: bool

    def __call__(self, folder: Path) -> CaseRef:
        try:
            return scan_case(folder, release=self.forced, table=self.table,
                             explicit=self.explicit, deep=self.deep,
                             root_says_2024=self.says_2024 or _names_2024(self.root, folder))
        except Exception as error:  # noqa: BLE001 - one case never stops the data set
            text = " ".join(str(error).split())[:200]
            problem = Problem(folder.name, folder,
                              f"cannot be scanned ({type(error).__name__}: {text})")
            return CaseRef(folder.name, None, Release.SINGLE, "unknown", folder, {}, (problem,))


def _scan_all(scan: _Scan, folders: list[Path], progress: ProgressCallback | None,
              cancel: CancelCheck | None, workers: int) -> list[CaseRef]:
    def scan_one(folder: Path) -> CaseRef:
        if cancel is not None and cancel():
            raise CancelledError("discovery cancelled", folder)
        return scan(folder)

    cases: list[CaseRef] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, case in enumerate(pool.map(scan_one, folders), start=1):
            cases.append(case)
            if progress is not None:
                progress(done, len(folders), case.id)
    return cases


def count_by_status(cases: Mapping[str, CaseRef] | list[CaseRef]) -> dict[str, int]:
    """How many cases are ``ok``, ``review only`` and ``unusable``."""
    values = cases.values() if isinstance(cases, Mapping) else cases
    counts = {"ok": 0, "review only": 0, "unusable": 0}
    for case in values:
        counts[case.status] += 1
    return counts
