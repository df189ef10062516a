"""Loading one case: :func:`load_case`.

Resolve the input to a :class:`CaseRef` (discovery for a folder, a hand-made one for a
single file), read and validate every file, map the segmentation to canonical labels, and
replace it by the workspace's correction when one exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from lrpstudio.core.data.case import Case, CaseRef, convention_of
from lrpstudio.core.data.corrections import convention_by_name, correction_notice, file_sha256
from lrpstudio.core.data.discovery import (
    dataset_hints,
    volume_files,
    parse_release,
    scan_case,
    sort_files,
)
from lrpstudio.core.data.grades import merge_tables
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
from lrpstudio.core.data.validation import (
    AFFINE_TOLERANCE,
    EMPTY_TUMOUR,
    CaseCheck,
    affine_distance,
    check_case_files,
    seg_to_canonical,
)
from lrpstudio.core.data.volume_io import VolumeHeader, read_header, read_volume
from lrpstudio.core.data.workspace import Workspace, open_workspace
from lrpstudio.core.errors import (
    AmbiguousFilesError,
    GeometryMismatchError,
    InputError,
    LrpStudioError,
    MissingModalityError,
    Problem,
)


def load_case(
    case_or_path: CaseRef | str | Path,
    workspace: Workspace | str | Path | None = None,
    mask: str | Path | None = None,
    *,
    release: Release | str | None = None,
) -> Case:
    """Load and validate a case; prefer the workspace's corrected mask when there is one.

    Parameters
    ----------
    case_or_path
        A :class:`CaseRef` from discovery, a case folder, or a single volume file.
        A single volume goes under its modality's name when its file name ends like
        one (``..._flair.nii.gz`` -> ``flair``, ``...-t2f.nii.gz`` -> ``flair``), else
        under ``"image"``; no other modality slot is filled with it.
    workspace
        A :class:`~lrpstudio.core.data.workspace.Workspace` or its folder; when it holds
        a correction for this case, that becomes ``seg`` (``case.correction`` says so,
        and ``case.notices`` explains).
    mask
        With a single volume file: its segmentation file (optional).
    release
        Overrides the detected release (e.g. ``"brats2024"`` for 2023-named files whose
        label 4 is resection cavity).

    Raises
    ------
    InputError
        The first error found (a :class:`VolumeReadError`, :class:`MissingModalityError`,
        :class:`GeometryMismatchError`, :class:`InvalidValuesError` or
        :class:`SegmentationError`), naming its file.
    """
    forced = parse_release(release)
    ref = _resolve(case_or_path, mask, forced)
    ws = _as_workspace(workspace)
    correction = ws.find_correction(ref.id) if ws is not None else None
    _raise_file_set_errors(ref)
    files = dict(ref.files)
    seg_file = files.pop("seg", None) if correction is not None else files.get("seg")
    check = check_case_files(ref.id, files, ref.release, LABEL_CONVENTIONS[ref.release],
                             deep=True, keep=True, seg_expected=ref.release is not Release.SINGLE
                             and correction is None)
    if check.errors:
        raise check.errors[0]
    case = _build(ref, check, seg_file)
    if correction is not None and ws is not None:
        _apply_correction(case, ws, correction)
    return case


def _as_workspace(workspace: Workspace | str | Path | None) -> Workspace | None:
    if workspace is None or isinstance(workspace, Workspace):
        return workspace
    return open_workspace(workspace)


def _resolve(case_or_path: CaseRef | str | Path, mask: str | Path | None,
             forced: Release | None) -> CaseRef:
    if isinstance(case_or_path, CaseRef):
        if mask is not None:
            raise InputError("a mask file goes with a single volume file, not a case",
                             case_or_path.folder)
        return case_or_path
    path = Path(case_or_path)
    if not path.exists():
        raise InputError("file or folder does not exist", path)
    if path.is_dir():
        if mask is not None:
            raise InputError("a mask file goes with a single volume file, not a folder", path)
        says_2024, tables = dataset_hints(path)
        if not volume_files(path):
            raise InputError("not a case folder: it holds no volume files (use discover for a "
                             "data folder)", path)
        return scan_case(path, release=forced, root_says_2024=says_2024,
                         table=merge_tables(tables))
    return single_volume_ref(path, mask, forced)


def _modality_of(stem: str) -> tuple[str | None, str, Release | None]:
    """(modality, case id, family) from a file stem like ``BraTS2021_00001_flair``."""
    for family in (Release.BRATS2023, Release.BRATS2021):
        sep = separator(family)
        for kind, suffix in FILE_SUFFIXES[family].items():
            if kind != "seg" and stem.lower().endswith(f"{sep}{suffix}"):
                return kind, stem[: -len(sep + suffix)], family
    return None, stem, None


def _single_release(case_id: str, family: Release | None, forced: Release | None,
                    path: Path) -> Release:
    """The release a single file's name states; SINGLE (canonical labels) otherwise."""
    if forced is not None:
        return forced
    for release, pattern in CASE_NAME_PATTERNS.items():
        if re.match(pattern, case_id, re.IGNORECASE) and (family is None or
                                                           separator(release) == separator(family)):
            if release in (Release.BRATS2023, Release.BRATS2024):
                return Release.BRATS2024 if _folders_name_2024(path) else Release.BRATS2023
            return Release.BRATS2021 if release is Release.BRATS2019 else release
    return Release.SINGLE


def _folders_name_2024(path: Path) -> bool:
    """True when one of the 3 folders above a file names 2024 (case folders excepted)."""
    for folder in path.parents[:3]:
        is_case = any(re.match(p, folder.name, re.IGNORECASE) for p in CASE_NAME_PATTERNS.values())
        if not is_case and "2024" in folder.name:
            return True
    return False


def single_volume_ref(path: Path, mask: str | Path | None, forced: Release | None) -> CaseRef:
    """A :class:`CaseRef` for one volume file (and its optional mask file).

    The volume goes under its modality's name when the file name ends like one, else
    under ``"image"``; the case id is the file name without modality suffix and extension.
    """
    stem, ext = split_extension(path.name)
    if not ext:
        raise InputError("not a supported volume file", path,
                         expected=".nii, .nii.gz, .nrrd, .mha or .mhd", actual=path.suffix)
    kind, case_id, family = _modality_of(stem)
    release = _single_release(case_id, family, forced, path)
    files = {kind or "image": path}
    if mask is not None:
        files["seg"] = Path(mask)
    return CaseRef(id=case_id, grade=None, release=release,
                   label_convention=convention_of(release), folder=path.parent, files=files,
                   single_volume=True)


def _raise_file_set_errors(ref: CaseRef) -> None:
    """Missing, doubled or unrecognised files of a case folder (a single volume needs none)."""
    if ref.single_volume:
        return
    if not ref.files:
        problem = ref.errors[0] if ref.errors else None
        raise InputError(problem.problem if problem else "no volume files", ref.folder)
    for kind in MODALITIES:
        if kind not in ref.files:
            raise MissingModalityError(f"missing the {kind} image",
                                       ref.folder / case_file_name(ref.release, ref.id, kind))
    for problem in sort_files(ref.folder, ref.release,
                                  volume_files(ref.folder, folders=True)).problems:
        if problem.severity == "error":
            raise AmbiguousFilesError(problem.problem, ref.folder)


def _build(ref: CaseRef, check: CaseCheck, seg_file: Path | None) -> Case:
    images = {kind: vol.array for kind, vol in check.volumes.items() if kind != "seg"}
    seg_header = check.headers.get("seg")
    reference = seg_header or next(iter(v.header for k, v in check.volumes.items() if k != "seg"))
    if seg_file is not None and seg_header is None:
        reference = _original_seg_header(seg_file, reference)
    return Case(id=ref.id, grade=ref.grade, images=images, seg=check.seg,
                affine=reference.affine, files=dict(ref.files), release=ref.release,
                label_convention=convention_of(ref.release), reference=reference,
                folder=ref.folder, problems=list(check.problems))


def _original_seg_header(seg_file: Path, fallback: VolumeHeader) -> VolumeHeader:
    """The original seg's header (grid of a correction), or the image's when unreadable."""
    try:
        header = read_header(seg_file)
    except LrpStudioError:
        return fallback
    return header if header.shape == fallback.shape else fallback


def _apply_correction(case: Case, ws: Workspace, path: Path) -> None:
    """Use the workspace correction as ``case.seg`` and say so."""
    sidecar = ws.read_sidecar(case.id)
    volume = read_volume(path)
    if volume.array.shape != case.shape:
        raise GeometryMismatchError("correction's shape differs from the case's", path,
                                    expected=case.shape, actual=volume.array.shape)
    diff = affine_distance(volume.affine, case.affine)
    if not diff <= AFFINE_TOLERANCE:
        raise GeometryMismatchError(f"correction's affine differs from the case's by up to "
                                    f"{diff:.4g} (max abs difference)", path)
    fallback = LABEL_CONVENTIONS[case.release]
    convention = convention_by_name((sidecar or {}).get("label_convention"), fallback)
    case.seg = seg_to_canonical(volume.array, convention, path, case.release)
    case.correction = path
    case.notices.append(correction_notice(path, sidecar))
    case.problems = [p for p in case.problems if p.file is None or p.file != case.files.get("seg")]
    if not case.seg.any():
        case.problems.append(_empty_warning(case.id, path))
    _note_stale(case, sidecar)


def _empty_warning(case_id: str, path: Path) -> Problem:
    return Problem(case_id, path, EMPTY_TUMOUR, "warning")


def _note_stale(case: Case, sidecar: dict[str, object] | None) -> None:
    """Tell the user when the original changed after the correction was made."""
    if not sidecar or not sidecar.get("source_sha256"):
        return
    source = Path(str(sidecar.get("source_file", "")))
    if not source.is_file():
        return
    if file_sha256(source) != sidecar.get("source_sha256"):
        case.notices.append(f"the original {source} changed after this correction was made "
                            f"({sidecar.get('created_utc', '?')}); check the correction")
