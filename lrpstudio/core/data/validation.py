"""Checks across a case's files, collecting every problem instead of stopping at the first.

Per file: readable, 3-D, finite (see :mod:`lrpstudio.core.data.volume_io`). Across files:
the same shape and affine as the case's reference image (the first modality that reads,
in t1, t1ce, t2, flair order), reported with the size of the disagreement. For the
segmentation: whole-number values, only labels the release defines, and a tumour that
is not empty (an empty one is a warning: the case can be reviewed but is left out of
training).

Errors are kept twice: as :class:`~lrpstudio.core.errors.Problem` records for reports,
and as the typed exceptions themselves so that :func:`load_case` can raise the first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from lrpstudio.core.data.layouts import MODALITIES, LabelConvention, Release
from lrpstudio.core.data.volume_io import Volume, VolumeHeader, read_header, read_volume
from lrpstudio.core.errors import (
    GeometryMismatchError,
    LrpStudioError,
    MissingModalityError,
    Problem,
    SegmentationError,
)

#: Affines that differ by less than this (mm, per element) are the same grid: NIfTI
#: stores float32, and a round trip through the quaternion form moves values by ~1e-5.
AFFINE_TOLERANCE = 1e-3
#: Files of one case read at the same time.
_READ_THREADS = 5
EMPTY_TUMOUR = "empty tumour mask: usable for review, excluded from training"
NO_SEGMENTATION = "no segmentation file: usable for review, excluded from training"


@dataclass
class CaseCheck:
    """What checking one case's files found.

    ``errors`` are the raised exceptions (in file order), ``problems`` every error and
    warning as records; ``headers`` and, after a deep check with ``keep``, ``volumes``
    hold what was read successfully; ``seg`` is the canonical segmentation when it was read.
    """

    case_id: str
    problems: list[Problem] = field(default_factory=list)
    errors: list[LrpStudioError] = field(default_factory=list)
    headers: dict[str, VolumeHeader] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    seg: np.ndarray | None = None

    def add_error(self, error: LrpStudioError) -> None:
        """Record an error (as exception and as problem)."""
        self.errors.append(error)
        self.problems.append(Problem.from_error(self.case_id, error))

    def add_warning(self, path: Path | None, text: str) -> None:
        """Record a warning: usable for review, excluded from training."""
        self.problems.append(Problem(self.case_id, path, text, "warning"))

    @property
    def ok(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return not self.errors


def unknown_label_hint(release: Release, unknown: set[int]) -> str:
    """Advice for unknown labels: a 2023-named seg with 4 is probably BraTS 2024."""
    if release is Release.BRATS2023 and 4 in unknown:
        return ("; if this is BraTS 2024 post-treatment data (4 = resection cavity), "
                "choose the release brats2024 (--release brats2024)")
    return ""


def seg_to_canonical(array: np.ndarray, convention: LabelConvention, path: Path,
                     release: Release | None = None) -> np.ndarray:
    """Map a segmentation's values to canonical uint8 labels.

    Parameters
    ----------
    array
        Segmentation values as stored (any integer or float dtype).
    convention
        The release's label convention.
    path
        The file, for error messages.
    release
        Used only to word the advice for unknown labels.

    Raises
    ------
    SegmentationError
        Fractional values, or values the convention does not define.
    """
    if np.issubdtype(array.dtype, np.floating):
        whole = np.round(array)
        bad = array != whole
        if bad.any():
            examples = sorted({float(v) for v in np.unique(array[bad])[:3]})
            raise SegmentationError(
                f"has fractional label values in {int(bad.sum())} voxels", path,
                expected="whole-number labels", actual=", ".join(f"{v:g}" for v in examples))
        array = whole
    allowed = convention.allowed_values()
    unknown = unknown_values(array, allowed)
    if unknown:
        hint = unknown_label_hint(release, set(unknown)) if release is not None else ""
        raise SegmentationError(
            f"has unknown label(s) {', '.join(map(str, unknown))} for the "
            f"{convention.name} convention{hint}", path,
            expected=sorted(allowed), actual=unknown)
    as_uint8 = array.astype(np.uint8, copy=False)
    if all(canonical == value for value, canonical in convention.mapping.items()):
        return as_uint8 if as_uint8 is not array else as_uint8.copy()  # already canonical
    table = np.zeros(256, np.uint8)
    for value, canonical in convention.mapping.items():
        table[value] = canonical
    return table[as_uint8]


def unknown_values(array: np.ndarray, allowed: frozenset[int]) -> list[int]:
    """The values of a whole-number array that are not in ``allowed`` (sorted).

    A 256-entry lookup table answers for every voxel at once; only the few bad voxels
    are sorted (np.unique over a whole 240x240x155 volume costs ~10x more).
    """
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > 255:
        return [int(v) for v in np.unique(array) if int(v) not in allowed]
    bad_value = np.ones(256, bool)
    bad_value[[v for v in allowed if 0 <= v <= 255]] = False
    bad = bad_value[array.astype(np.uint8, copy=False)]
    if not bad.any():
        return []
    return [int(v) for v in np.unique(array[bad])]


def _same_grid(a: VolumeHeader, b: VolumeHeader) -> bool:
    return a.shape == b.shape and float(np.max(np.abs(a.affine - b.affine))) <= AFFINE_TOLERANCE


def reference_kind(headers: Mapping[str, VolumeHeader]) -> str | None:
    """The kind whose grid most files share (ties: t1, t1ce, t2, flair, seg order).

    Taking the majority means that one odd file is reported, not the other four.
    """
    kinds = [k for k in (*MODALITIES, "seg") if k in headers] + \
        [k for k in headers if k not in (*MODALITIES, "seg")]
    if not kinds:
        return None
    votes = {k: sum(_same_grid(headers[k], headers[o]) for o in kinds) for k in kinds}
    return max(kinds, key=lambda k: votes[k])  # max keeps the first of equal votes


def check_geometry(check: CaseCheck) -> None:
    """Compare every header in ``check`` with the majority grid's shape and affine."""
    ref_kind = reference_kind(check.headers)
    if ref_kind is None:
        return
    ref = check.headers[ref_kind]
    for kind, header in check.headers.items():
        if kind == ref_kind:
            continue
        if header.shape != ref.shape:
            check.add_error(GeometryMismatchError(
                f"shape differs from the {ref_kind} file's", header.path,
                expected=ref.shape, actual=header.shape))
            continue
        diff = float(np.max(np.abs(header.affine - ref.affine)))
        if diff > AFFINE_TOLERANCE:
            check.add_error(GeometryMismatchError(
                f"affine differs from the {ref_kind} file's by up to {diff:.4g} "
                "(max abs difference)", header.path,
                expected=_affine_text(ref.affine), actual=_affine_text(header.affine)))


def _affine_text(affine: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(f"{v:.4g}" for v in row) for row in affine[:3]) + "]"


def check_case_files(
    case_id: str,
    files: Mapping[str, Path],
    release: Release,
    convention: LabelConvention,
    *,
    deep: bool = False,
    keep: bool = False,
    missing: Mapping[str, Path] | None = None,
    seg_expected: bool = True,
) -> CaseCheck:
    """Check a case's files and collect every problem.

    Parameters
    ----------
    case_id
        For the problem records.
    files
        Kind -> path (``t1``, ``t1ce``, ``t2``, ``flair``, optional ``seg``, or any
        other kind for single volumes).
    release, convention
        How to read the segmentation.
    deep
        Read the voxels too (NaN/inf, segmentation values, empty tumour); otherwise
        headers only (fast: what discovery does).
    keep
        With ``deep``, keep the volumes in ``check.volumes`` (for loading).
    missing
        Kinds that were not found -> the path the file should have had; each image is
        a :class:`MissingModalityError`, a missing ``seg`` a warning.
    seg_expected
        Warn when there is no segmentation (off for a single volume opened by hand).
    """
    check = CaseCheck(case_id)
    missing = dict(missing or {})
    for kind, path in missing.items():
        if kind != "seg":
            check.add_error(MissingModalityError(f"missing the {kind} image", path))
    # Threads: zlib and numpy release the GIL, so files decompress side by side.
    with ThreadPoolExecutor(max_workers=min(len(files), _READ_THREADS) or 1) as pool:
        outcomes = list(pool.map(lambda item: _read_file(item[1], deep), files.items()))
    for (kind, path), outcome in zip(files.items(), outcomes):
        _record_file(check, kind, path, outcome, release, convention, keep=keep)
    if seg_expected and "seg" not in files:
        check.add_warning(missing.get("seg"), NO_SEGMENTATION)
    check_geometry(check)
    return check


def _read_file(path: Path, deep: bool) -> VolumeHeader | Volume | LrpStudioError:
    """Read a header (or a whole volume); a typed error is returned, not raised."""
    try:
        return read_volume(path) if deep else read_header(path)
    except LrpStudioError as error:
        return error


def _record_file(check: CaseCheck, kind: str, path: Path,
                 outcome: VolumeHeader | Volume | LrpStudioError, release: Release,
                 convention: LabelConvention, *, keep: bool) -> None:
    """Record what reading one file found, and check its values when they were read."""
    if isinstance(outcome, LrpStudioError):
        check.add_error(outcome)
        return
    if isinstance(outcome, VolumeHeader):
        check.headers[kind] = outcome
        return
    volume = outcome
    check.headers[kind] = volume.header
    if kind == "seg":
        try:
            check.seg = seg_to_canonical(volume.array, convention, path, release)
        except SegmentationError as error:
            check.add_error(error)
            return
        if not check.seg.any():
            check.add_warning(path, EMPTY_TUMOUR)
    elif not volume.array.any():
        check.add_warning(path, f"the {kind} image is all zero")
    if keep:
        check.volumes[kind] = volume
