"""Read one volume file: NIfTI with lrpstudio's checked reader, NRRD / MetaImage with SimpleITK.

Arrays are returned in the file's voxel order, indexed ``[x, y, z]``, with a
NIfTI-style voxel-to-RAS affine; nothing is ever reoriented (display orientation
is derived from the affine elsewhere).

- NIfTI (``.nii``, ``.nii.gz``): :mod:`~lrpstudio.core.data.nifti_read` validates the
  header's fields before allocating, reads the voxels once into one buffer and checks
  every gzip CRC32 and length trailer; nibabel supplies the header object (kept so that
  a corrected mask can be written with the source's sform/qform codes) and the affine.
- ``.nrrd``, ``.mha``, ``.mhd``: :mod:`~lrpstudio.core.data.itk_read` (SimpleITK, its
  header checked against the file first).

Two entry points: :func:`read_header` (shape + affine without the voxels, used by
discovery, which must list hundreds of cases in seconds) and :func:`read_volume`.
Every failure is a typed error naming the file, in one line: missing, not a regular file
(folder, pipe, link loop), empty, not gzip, not NIfTI, an invalid header field, no usable
affine, truncated, corrupt (CRC, length trailer, damaged deflate data), more memory than
the read limit, 4-D with more than one volume, vector voxels, NaN/inf.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.file_checks import regular_file_size
from lrpstudio.core.data.itk_read import read_itk_header, read_itk_voxels
from lrpstudio.core.data.layouts import VOLUME_EXTENSIONS, split_extension
from lrpstudio.core.data.nifti_guard import NiftiLayout
from lrpstudio.core.data.nifti_read import read_nifti, read_nifti_layout
from lrpstudio.core.errors import InvalidValuesError, VolumeReadError

_GZIP_MAGIC = b"\x1f\x8b"
_NIFTI_EXTS = (".nii", ".nii.gz")
_ITK_EXTS = (".nrrd", ".mha", ".mhd")


@dataclass(frozen=True, eq=False)
class VolumeHeader:
    """What a file says about its grid, read without loading the voxels.

    Attributes
    ----------
    path
        The file.
    shape
        3-D shape after squeezing a singleton 4th axis.
    affine
        4x4 voxel-to-RAS affine (float64).
    dtype
        The stored voxel type.
    format
        ``"nifti"`` or ``"itk"``.
    nifti_header
        The file's NIfTI header (None for SimpleITK formats).
    read_cost
        Peak bytes reading the voxels (and checking them) takes; see
        :mod:`~lrpstudio.core.data.read_limits`.
    """

    path: Path
    shape: tuple[int, int, int]
    affine: np.ndarray
    dtype: np.dtype
    format: str
    nifti_header: Any = None
    read_cost: int = 0


@dataclass(frozen=True, eq=False)
class Volume:
    """A volume in memory: ``array`` is ``[x, y, z]`` in the file's voxel order.

    ``array`` keeps the file's dtype (BraTS: int16 images, uint8 segmentations);
    NIfTI data with a scale slope/intercept other than 1/0 is returned as float32.
    """

    header: VolumeHeader
    array: np.ndarray

    @property
    def path(self) -> Path:
        return self.header.path

    @property
    def affine(self) -> np.ndarray:
        return self.header.affine


def volume_extension(path: str | Path) -> str:
    """The known volume extension of ``path`` in lower case (``""`` when none)."""
    return split_extension(Path(path).name)[1].lower()


def read_header(path: str | Path) -> VolumeHeader:
    """Shape, affine and dtype of a volume file without reading its voxels.

    Every header field is checked, and so is what the file's size can hold; for
    ``.nii.gz`` the gzip length trailer is compared with the header, and when they
    disagree the whole stream is verified (so the answer is a full read's answer).

    Raises
    ------
    VolumeReadError
        Missing, not a regular file, empty, unsupported, not gzip, not NIfTI, an invalid
        header, no usable affine, truncated, corrupt, or over the memory limit.
    InvalidValuesError
        More than one volume on a 4th axis, vector voxels, or not 3-D.
    """
    path = Path(path)
    ext, size = _check_file(path)
    if ext in _NIFTI_EXTS:
        headers = _NiftiHeaders(path)
        read_nifti_layout(path, ext == ".nii.gz", size, headers.add)
        return headers.first
    return _itk_header(path)


def read_volume(path: str | Path, *, check_finite: bool = True) -> Volume:
    """Read a volume file: header and voxels, each checked before the next is read.

    Parameters
    ----------
    path
        A ``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha`` or ``.mhd`` file.
    check_finite
        Raise :class:`InvalidValuesError` when a float volume holds NaN or inf.

    Returns
    -------
    Volume
        ``array`` indexed ``[x, y, z]``; see :class:`Volume` for its dtype.
    """
    path = Path(path)
    ext, size = _check_file(path)
    if ext in _NIFTI_EXTS:
        headers = _NiftiHeaders(path)
        array = read_nifti(path, ext == ".nii.gz", size, headers.add)
        header = headers.first
    else:
        shape, affine, dtype, cost = read_itk_header(path)
        header = _itk_volume_header(path, shape, affine, dtype, cost)
        array = read_itk_voxels(path, shape, dtype, cost)
    if array.ndim > 3:  # a singleton 4th axis (more volumes were refused by the header)
        array = array[(...,) + (0,) * (array.ndim - 3)]
    if check_finite:
        check_finite_values(array, path)
    return Volume(header=header, array=array)


def check_finite_values(array: np.ndarray, path: Path) -> None:
    """Raise :class:`InvalidValuesError` naming ``path`` if ``array`` holds NaN or inf."""
    if not np.issubdtype(array.dtype, np.floating):
        return  # integers cannot hold NaN/inf; skip the full scan
    finite = np.isfinite(array)
    if finite.all():
        return
    n_nan = int(np.isnan(array).sum())
    n_inf = int(array.size - finite.sum()) - n_nan
    raise InvalidValuesError(
        f"holds {n_nan} NaN and {n_inf} infinite voxel values", path,
        expected="finite values", actual=f"{n_nan} NaN, {n_inf} inf",
    )


# --- file-level checks -------------------------------------------------------------


def _check_file(path: Path) -> tuple[str, int]:
    """Extension, kind (a regular file) and size; returns the lower-case extension and size."""
    ext = volume_extension(path)
    if not ext:
        raise VolumeReadError(
            "not a supported volume file", path, expected=", ".join(VOLUME_EXTENSIONS),
            actual=path.suffix or "no extension",
        )
    size = regular_file_size(path)
    if size == 0:
        raise VolumeReadError("file is empty (0 bytes)", path)
    if ext == ".nii.gz":
        _check_gzip_magic(path)
    return ext, size


def _check_gzip_magic(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise VolumeReadError(f"cannot be read ({error.strerror})", path) from error
    if magic[:2] != _GZIP_MAGIC:
        hint = " (it looks like an uncompressed NIfTI)" if _looks_like_nifti(magic) else ""
        raise VolumeReadError(f"not a gzip file although named .nii.gz{hint}", path)


def _looks_like_nifti(first_bytes: bytes) -> bool:
    """True when the first 4 bytes are a NIfTI-1/2 ``sizeof_hdr`` (348 or 540)."""
    if len(first_bytes) < 4:
        return False
    return any(struct.unpack(order + "i", first_bytes[:4])[0] in (348, 540) for order in "<>")


# --- headers ---------------------------------------------------------------------------


def _squeeze_shape(path: Path, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A 3-D shape: trailing singleton axes dropped, more volumes is an error."""
    dims = list(shape)
    while len(dims) > 3 and dims[-1] == 1:
        dims.pop()
    if len(dims) > 3:
        raise InvalidValuesError(
            f"is a {len(dims)}-D image with {int(np.prod(dims[3:]))} volumes; "
            "a single 3-D volume is needed", path, expected="3-D (x, y, z)", actual=tuple(shape),
        )
    if len(dims) < 3:
        raise InvalidValuesError("is not a 3-D volume", path, expected="3-D (x, y, z)",
                                 actual=tuple(shape))
    if min(dims) < 1:
        raise VolumeReadError("has an empty dimension", path, expected="all sizes >= 1",
                              actual=tuple(shape))
    return int(dims[0]), int(dims[1]), int(dims[2])


class _NiftiHeaders:
    """Turns the reader's validated layout into a :class:`VolumeHeader` as soon as it is
    known, so that a shape error is raised before any voxel is read or allocated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.headers: list[VolumeHeader] = []

    def add(self, layout: NiftiLayout) -> None:
        shape = _squeeze_shape(self.path, layout.dims)
        self.headers.append(VolumeHeader(
            path=self.path, shape=shape, affine=layout.affine, dtype=layout.dtype,
            format="nifti", nifti_header=layout.header, read_cost=layout.read_cost))

    @property
    def first(self) -> VolumeHeader:
        return self.headers[0]


def _itk_header(path: Path) -> VolumeHeader:
    return _itk_volume_header(path, *read_itk_header(path))


def _itk_volume_header(path: Path, size: tuple[int, ...], affine: np.ndarray, dtype: np.dtype,
                       cost: int) -> VolumeHeader:
    return VolumeHeader(path=path, shape=_squeeze_shape(path, size), affine=affine,
                        dtype=dtype, format="itk", read_cost=cost)
