"""Write a corrected segmentation into the workspace, on the source grid, and check it.

The label values written are the SOURCE release's (2017-2021: enhancing = 4; 2023: 3;
2024: 3, and resection cavity 4 kept where the original had it and the correction left
background; a single volume opened by hand: canonical). Why: a correction is a drop-in
replacement for the original file, so BraTS tools, evaluation scripts and viewers with
the release's colour table read it as they read the original. The sidecar records the
convention (``label_convention``), and :func:`load_case` maps it back to canonical.

The file is NIfTI (``.nii.gz``) with the source's affine and header: same shape, same
sform and qform (codes included), dtype uint8, scl_slope 1 / scl_inter 0. It is written
atomically (temporary file + ``os.replace``), read back with nibabel and compared voxel
by voxel; a mismatch is a :class:`CorrectionError`. It never goes into the data folder's
case files, nor through a symbolic link out of the workspace. Saves of one case are
serialised by a lock file in its correction folder, so two processes saving at once
each write and verify whole files (the last one wins) instead of reading back the
other's.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path
from typing import Any, Mapping

import nibabel as nib
import numpy as np

from lrpstudio import __version__
from lrpstudio.core.atomic import atomic_write, make_dirs
from lrpstudio.core.data.case import Case
from lrpstudio.core.data.layouts import (
    CANONICAL_LABELS,
    LABEL_CONVENTIONS,
    LABELS_CANONICAL,
    LabelConvention,
    Release,
)
from lrpstudio.core.data.validation import seg_to_canonical, unknown_values
from lrpstudio.core.data.volume_io import read_volume
from lrpstudio.core.data.workspace import Workspace, open_workspace, utc_now, write_json
from lrpstudio.core.errors import CorrectionError, LrpStudioError, SegmentationError
from lrpstudio.core.jobs import ProgressCallback
from lrpstudio.core.locks import file_lock

_CAVITY = 4  # BraTS 2024 resection cavity (canonical 0)
#: Folder of the per-case lock files, inside ``corrections/`` (one writer per case at a time).
LOCK_DIR = ".locks"
#: Header fields that define the grid: they must read back exactly as the source's.
_GEOMETRY_FIELDS = ("sform_code", "qform_code", "srow_x", "srow_y", "srow_z", "quatern_b",
                    "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z", "pixdim")


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convention_by_name(name: str | None, fallback: LabelConvention) -> LabelConvention:
    """The label convention called ``name`` (``fallback`` when unknown or None)."""
    for convention in (*LABEL_CONVENTIONS.values(), LABELS_CANONICAL):
        if convention.name == name:
            return convention
    return fallback


def _canonical_input(case: Case, seg: np.ndarray, target: Path) -> np.ndarray:
    """Check the user's segmentation: the case's shape, canonical whole-number labels."""
    seg = np.asarray(seg)
    if seg.shape != case.shape:
        raise SegmentationError("corrected segmentation has the wrong shape", target,
                                expected=case.shape, actual=seg.shape)
    if seg.dtype == bool:
        return seg.astype(np.uint8)
    if np.issubdtype(seg.dtype, np.floating) and not np.array_equal(seg, np.round(seg)):
        raise SegmentationError("corrected segmentation has fractional values", target,
                                expected="canonical labels 0-3", actual=str(seg.dtype))
    unknown = unknown_values(seg, frozenset(CANONICAL_LABELS))
    if unknown:
        raise SegmentationError("corrected segmentation has non-canonical labels", target,
                                expected=sorted(CANONICAL_LABELS), actual=unknown)
    return seg.astype(np.uint8)


def to_release_labels(canonical: np.ndarray, release: Release,
                      original_raw: np.ndarray | None) -> np.ndarray:
    """Canonical labels -> the release's stored values (see the module docstring)."""
    convention = LABEL_CONVENTIONS[release]
    table = np.arange(256, dtype=np.uint8)
    for value, canon in convention.mapping.items():
        if canon != 0:
            table[canon] = value
    out = table[canonical]
    if release is Release.BRATS2024 and original_raw is not None:
        # Canonical 0 merges background and cavity: keep the cavity where it was.
        out[(canonical == 0) & (original_raw == _CAVITY)] = _CAVITY
    return out


def _source_file(case: Case) -> Path:
    """The original file a correction is made from (the seg, else the grid's image)."""
    return case.files.get("seg") or case.reference.path


def _check_target(case: Case, target: Path) -> None:
    """A correction must never land on or beside the data folder's case files."""
    resolved = target.resolve()
    for path in case.files.values():
        if resolved == path.resolve() or resolved.parent == path.resolve().parent:
            raise CorrectionError("refusing to write a correction into a case folder of the "
                                  "data set; choose a workspace outside it", target)


def _build_image(case: Case, data: np.ndarray) -> nib.Nifti1Image:
    """A NIfTI image with the source header (codes, quaternion, srow) and uint8 voxels."""
    source = case.reference.nifti_header
    if source is None:  # a SimpleITK source: its affine in both sform and qform
        image = nib.Nifti1Image(data, case.affine)
        image.set_sform(case.affine, code=1)
        image.set_qform(case.affine, code=1)
    else:
        header = source.copy()
        image_class = nib.Nifti2Image if isinstance(header, nib.Nifti2Header) else nib.Nifti1Image
        # affine=None keeps the header's sform/qform exactly as stored.
        image = image_class(data, None, header)
    image.header.set_data_dtype(np.uint8)
    image.header.set_data_shape(data.shape)
    image.header.set_slope_inter(1.0, 0.0)
    image.header["cal_min"], image.header["cal_max"] = 0, 0
    return image


def _encode(image: nib.Nifti1Image) -> bytes:
    """The gzip-compressed file, with scl_slope 1 / scl_inter 0 stored explicitly."""
    raw = image.to_bytes()
    # nibabel's writer stores "no scaling" as NaN; the contract is an explicit 1 / 0, so the
    # header block is patched (extensions and voxels after it stay byte for byte).
    header = image.header_class.from_fileobj(io.BytesIO(raw))
    header["scl_slope"], header["scl_inter"] = 1.0, 0.0
    block = header.binaryblock
    # mtime=0: the same correction always gives the same bytes (stable hashes).
    return gzip.compress(block + raw[len(block):], compresslevel=6, mtime=0)


def _verify(target: Path, data: np.ndarray, image: nib.Nifti1Image, affine: np.ndarray) -> None:
    """Read the written file back with nibabel and compare voxels, affines and codes."""
    try:
        back = nib.load(str(target), mmap=False)
        if not isinstance(back, nib.Nifti1Image):  # NIfTI-2 images are Nifti1Image subclasses
            raise TypeError(f"read back as {type(back).__name__}, not a NIfTI image")
        voxels = np.asanyarray(back.dataobj)
    except Exception as error:  # any failure to read back is the same finding
        raise CorrectionError(f"the written correction cannot be read back ({error})",
                              target) from error
    # The stored fields (nib.load moves scaling into the proxy and blanks the header's).
    with gzip.open(target, "rb") as handle:
        stored = type(image.header).from_fileobj(handle)
    slope_inter = (float(stored["scl_slope"]), float(stored["scl_inter"]))
    if slope_inter != (1.0, 0.0):
        raise CorrectionError("the written correction is scaled", target,
                              expected=(1.0, 0.0), actual=slope_inter)
    if voxels.dtype != np.uint8 or voxels.shape != data.shape or not np.array_equal(voxels, data):
        raise CorrectionError("the written correction differs from the mask saved", target,
                              expected=(data.shape, "uint8"), actual=(voxels.shape, str(voxels.dtype)))
    want, got = image.header, back.header
    for key in _GEOMETRY_FIELDS:
        if not np.array_equal(np.asarray(want[key]), np.asarray(got[key])):
            raise CorrectionError(f"the written correction's header field {key} differs from "
                                  "the source's", target, expected=want[key], actual=got[key])
    if not np.allclose(back.affine, affine, atol=1e-5):
        raise CorrectionError("the written correction's affine differs from the source's",
                              target, expected=affine.tolist(), actual=back.affine.tolist())


def _original(case: Case) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The original segmentation: (raw stored values, canonical) or (None, None)."""
    seg_file = case.files.get("seg")
    if seg_file is None:
        return None, None
    try:
        raw = read_volume(seg_file).array
        canonical = seg_to_canonical(raw, LABEL_CONVENTIONS[case.release], seg_file, case.release)
    except LrpStudioError:
        return None, None  # an unreadable original: the correction replaces it
    return raw, canonical


#: The stages :func:`save_correction` reports, in order.
SAVE_STAGES: tuple[str, ...] = ("checking the mask", "compressing", "writing", "reading back")


def save_correction(case: Case, seg: np.ndarray, workspace: Workspace | str | Path,
                    progress: ProgressCallback | None = None) -> Path:
    """Write ``seg`` (canonical labels) as ``case``'s correction in ``workspace``.

    Parameters
    ----------
    case
        The loaded case (its reference header and affine give the grid).
    seg
        Canonical labels 0-3 (int or bool array) of the case's shape.
    workspace
        A :class:`Workspace` or its folder.
    progress
        Called ``(done, total, stage)`` as each of :data:`SAVE_STAGES` starts, and
        ``(total, total, "saved")`` at the end (a GUI shows it while a large volume saves).

    Returns
    -------
    Path
        The correction file (``<ws>/corrections/<id>/<id>_seg.nii.gz``).

    Raises
    ------
    SegmentationError
        Wrong shape or non-canonical values.
    CorrectionError
        The target is inside the data's case folders, or the file did not read back
        identically.
    WorkspacePathError
        The target or its sidecar leads through a symbolic link out of the workspace.
    StorageError
        The workspace cannot be written (full, read-only, no permission, name too long).
    """
    def report(stage: int, text: str) -> None:
        if progress is not None:
            progress(stage, len(SAVE_STAGES), text)

    report(0, SAVE_STAGES[0])
    ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
    target = ws.contain(ws.correction_path(case.id))
    sidecar = ws.contain(ws.sidecar_path(case.id))
    canonical = _canonical_input(case, seg, target)
    _check_target(case, target)
    original_raw, original_canonical = _original(case)
    data = to_release_labels(canonical, case.release, original_raw)
    image = _build_image(case, data)
    changed = (int(np.count_nonzero(canonical != original_canonical))
               if original_canonical is not None else int(np.count_nonzero(canonical)))
    report(1, SAVE_STAGES[1])
    encoded = _encode(image)
    report(2, SAVE_STAGES[2])
    make_dirs(target.parent)
    ws.contain(target.parent)  # created just now: still inside (no link swapped in)
    with file_lock(_lock_path(ws, case.id)):
        atomic_write(target, lambda handle: handle.write(encoded))
        report(3, SAVE_STAGES[3])
        _verify(target, data, image, case.affine)
        write_json(sidecar, _sidecar(case, target, changed))
    report(len(SAVE_STAGES), "saved")
    return target


def _lock_path(ws: Workspace, case_id: str) -> Path:
    """The lock file of a case's saves: named by a hash, so any case id fits in a file name."""
    folder = ws.contain(make_dirs(ws.corrections_dir / LOCK_DIR))
    return folder / f"{hashlib.sha256(case_id.encode('utf-8')).hexdigest()[:20]}.lock"


def _sidecar(case: Case, target: Path, changed: int) -> dict[str, Any]:
    source = _source_file(case)
    convention = LABEL_CONVENTIONS[case.release]
    return {
        "case_id": case.id,
        "created_utc": utc_now(),
        "source_file": str(source.resolve()),
        "source_size": source.stat().st_size,
        "source_sha256": file_sha256(source),
        "correction_sha256": file_sha256(target),
        "lrpstudio_version": __version__,
        "voxels_changed": changed,
        "label_convention": convention.name,
        "labels": convention.description,
        "release": case.release.value,
        "shape": list(case.shape),
    }


def correction_notice(path: Path, sidecar: Mapping[str, Any] | None) -> str:
    """The sentence that tells the user a correction is used instead of the original."""
    if not sidecar:
        return f"using the corrected mask {path} (no sidecar: origin unknown)"
    return (f"using the corrected mask {path}, saved {sidecar.get('created_utc', '?')} "
            f"from {sidecar.get('source_file', '?')}")
