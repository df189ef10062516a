"""Checks across a case's files, collecting every problem instead of stopping at the first.

Per file: readable, 3-D, finite (see :mod:`lrpstudio.core.data.volume_io`). Across files:
the same shape and affine as the case's reference image (the first modality that reads,
in t1, t1ce, t2, flair order), reported with the size of the disagreement, and a memory
cost of all files together within the read limit. For the segmentation: whole-number
values, only labels the release defines, and a tumour that is not empty (an empty one is
a warning: the case can be reviewed but is left out of training).

This is the one validation path: discovery (headers only), ``inspect`` (deep), ``prepare``
and :func:`~lrpstudio.core.data.loading.load_case` (deep, keeping the volumes) all call
:func:`check_case_files`, so they give one verdict per file. A deep check first reads
every header (what a header-only check reports), then the voxels of the files whose
header passed. Whatever goes wrong in one file, expected or not, becomes a problem of
that file: never an exception that stops the other files or cases.

Errors are kept twice: as :class:`~lrpstudio.core.errors.Problem` records for reports,
and as the typed exceptions themselves so that :func:`load_case` can raise the first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, TypeVar

import numpy as np

from lrpstudio.core.data.layouts import MODALITIES, LabelConvention, Release
from lrpstudio.core.data.read_limits import BUDGET, case_cost_problem
from lrpstudio.core.data.volume_io import Volume, VolumeHeader, read_header, read_volume
from lrpstudio.core.errors import (
    GeometryMismatchError,
    LrpStudioError,
    MissingModalityError,
    Problem,
    SegmentationError,
    VolumeReadError,
)

_T = TypeVar("_T")

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
        # order="K": keep the volumes' (Fortran) memory order; mixing orders is slow later.
        return as_uint8 if as_uint8 is not array else as_uint8.copy(order="K")  # canonical
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


def affine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise difference of two affines; inf when either is not finite
    (NaN compares false with everything, so it would otherwise pass every check)."""
    diff = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    return float(diff.max()) if np.isfinite(diff).all() else float("inf")


def _same_grid(a: VolumeHeader, b: VolumeHeader) -> bool:
    return a.shape == b.shape and affine_distance(a.affine, b.affine) <= AFFINE_TOLERANCE


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
        diff = affine_distance(header.affine, ref.affine)
        if not diff <= AFFINE_TOLERANCE:
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
        Read the voxels too (CRC, NaN/inf, segmentation values, empty tumour); otherwise
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
    headers = _map_files(files, _header_outcome)
    readable = {kind: out.header for kind, out in headers.items() if out.header is not None}
    too_big = case_cost_problem({kind: h.read_cost for kind, h in readable.items()})
    outcomes = dict(headers)
    if deep and too_big is None:
        deep_outcomes = _map_files({k: files[k] for k in readable}, lambda path, kind: (
            _deep_outcome(path, kind, release, convention, keep)))
        for kind, outcome in deep_outcomes.items():
            # A file whose voxels fail keeps its (valid) header: the geometry check then
            # sees the same headers as a header-only check, so a deep verdict only adds.
            outcome.header = outcome.header or readable[kind]
            outcomes[kind] = outcome
    for kind in files:
        _record(check, kind, outcomes[kind])
    if too_big is not None:
        check.add_error(VolumeReadError(too_big, _folder_of(files)))
    if seg_expected and "seg" not in files:
        check.add_warning(missing.get("seg"), NO_SEGMENTATION)
    check_geometry(check)
    return check


@dataclass
class _Outcome:
    """What examining one file found (a volume only when it is to be kept)."""

    header: VolumeHeader | None = None
    error: LrpStudioError | None = None
    volume: Volume | None = None
    seg: np.ndarray | None = None
    warning: str | None = None


def _folder_of(files: Mapping[str, Path]) -> Path | None:
    return next(iter(files.values())).parent if files else None


def _map_files(files: Mapping[str, Path], examine: Callable[[Path, str], _T]) -> dict[str, _T]:
    """``examine(path, kind)`` for every file, side by side in threads (zlib and numpy
    release the GIL, so files decompress in parallel)."""
    with ThreadPoolExecutor(max_workers=min(len(files), _READ_THREADS) or 1) as pool:
        results = list(pool.map(lambda item: examine(item[1], item[0]), files.items()))
    return dict(zip(files, results))


def _unexpected(path: Path, error: Exception) -> VolumeReadError:
    """An error no reader anticipated, as one line naming the file (a problem, not a crash)."""
    text = " ".join(str(error).split())[:200]
    return VolumeReadError(f"cannot be read ({type(error).__name__}: {text})", path)


def _header_outcome(path: Path, kind: str) -> _Outcome:
    try:
        return _Outcome(header=read_header(path))
    except LrpStudioError as error:
        return _Outcome(error=error)
    except Exception as error:  # noqa: BLE001 - one file must never stop the others
        return _Outcome(error=_unexpected(path, error))


def _deep_outcome(path: Path, kind: str, release: Release, convention: LabelConvention,
                  keep: bool) -> _Outcome:
    """Read a file's voxels and check its values; the volume's memory (and the checks'
    temporaries) stays in the read budget until this returns."""
    with BUDGET.session():
        try:
            volume = read_volume(path)
            return _values(volume, kind, release, convention, keep)
        except LrpStudioError as error:
            return _Outcome(error=error)
        except Exception as error:  # noqa: BLE001 - MemoryError included: a problem, not a crash
            return _Outcome(error=_unexpected(path, error))


def _values(volume: Volume, kind: str, release: Release, convention: LabelConvention,
            keep: bool) -> _Outcome:
    """Check a volume's values: labels of a segmentation, an all-zero image."""
    outcome = _Outcome(header=volume.header, volume=volume if keep else None)
    if kind == "seg":
        outcome.seg = seg_to_canonical(volume.array, convention, volume.path, release)
        if not outcome.seg.any():
            outcome.warning = EMPTY_TUMOUR
    elif not volume.array.any():
        outcome.warning = f"the {kind} image is all zero"
    return outcome


def _record(check: CaseCheck, kind: str, outcome: _Outcome) -> None:
    """Record what examining one file found."""
    if outcome.header is not None:
        check.headers[kind] = outcome.header
    if outcome.error is not None:
        check.add_error(outcome.error)
        return
    if outcome.seg is not None:
        check.seg = outcome.seg
    if outcome.warning is not None:
        check.add_warning(outcome.header.path if outcome.header is not None else None, outcome.warning)
    if outcome.volume is not None:
        check.volumes[kind] = outcome.volume
