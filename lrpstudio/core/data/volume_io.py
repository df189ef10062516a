"""Read one volume file: NIfTI with nibabel, NRRD / MetaImage with SimpleITK.

Arrays are returned in the file's voxel order, indexed ``[x, y, z]``, with a
NIfTI-style voxel-to-RAS affine; nothing is ever reoriented (display orientation
is derived from the affine elsewhere).

- NIfTI (``.nii``, ``.nii.gz``): nibabel; the header is kept so that a corrected
  mask can be written with the source's sform/qform codes.
- ``.nrrd``, ``.mha``, ``.mhd``: SimpleITK; its LPS origin/spacing/direction become
  a RAS affine and its ``z, y, x`` array is transposed (a view, no copy) to ``x, y, z``.

Two entry points: :func:`read_header` (shape + affine without the voxels, used by
discovery, which must list hundreds of cases in seconds) and :func:`read_volume`.
Every failure is a typed error naming the file: missing, empty, not gzip, not NIfTI,
truncated, 4-D with more than one volume, vector voxels, NaN/inf.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from lrpstudio.core.data.layouts import VOLUME_EXTENSIONS, split_extension
from lrpstudio.core.errors import InvalidValuesError, VolumeReadError

#: RAS <-> LPS: ITK stores physical points in LPS, NIfTI affines map to RAS.
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
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
        A copy of the NIfTI header (None for SimpleITK formats).
    """

    path: Path
    shape: tuple[int, int, int]
    affine: np.ndarray
    dtype: np.dtype
    format: str
    nifti_header: Any = None


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

    Also detects a truncated file cheaply (file size for ``.nii``, the gzip trailer
    for ``.nii.gz``), so discovery reports it without decompressing everything.

    Raises
    ------
    VolumeReadError
        Missing, empty, unsupported, not gzip, not NIfTI, truncated or unreadable.
    InvalidValuesError
        More than one volume on a 4th axis, vector voxels, or not 3-D.
    """
    path = Path(path)
    ext = _check_file(path)
    if ext in _NIFTI_EXTS:
        image = _load_nifti(path, ext)
        header = _nifti_header(path, image)
        _check_nifti_size(path, ext, image)
        return header
    return _itk_header(path)


def read_volume(path: str | Path, *, check_finite: bool = True) -> Volume:
    """Read a volume file: header and voxels.

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
    ext = _check_file(path)
    if ext in _NIFTI_EXTS:
        image = _load_nifti(path, ext)
        header = _nifti_header(path, image)
        array = _nifti_array(path, image)
    else:
        header, array = _itk_read(path)
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


def _check_file(path: Path) -> str:
    """Existence, size and extension; returns the lower-case extension."""
    ext = volume_extension(path)
    if not ext:
        raise VolumeReadError(
            "not a supported volume file", path, expected=", ".join(VOLUME_EXTENSIONS),
            actual=path.suffix or "no extension",
        )
    if not path.exists():
        raise VolumeReadError("file does not exist", path)
    if not path.is_file():
        raise VolumeReadError("is not a regular file", path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise VolumeReadError(f"cannot be read ({error.strerror})", path) from error
    if size == 0:
        raise VolumeReadError("file is empty (0 bytes)", path)
    if ext == ".nii.gz":
        _check_gzip_magic(path)
    return ext


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


# --- NIfTI -----------------------------------------------------------------------


def _load_nifti(path: Path, ext: str) -> nib.Nifti1Image:
    """``nib.load`` (lazy: header only) with nibabel's errors turned into one line."""
    try:
        # mmap=False: arrays must not keep the source file mapped (and locked on Windows).
        image = nib.load(str(path), mmap=False)
    except nib.filebasedimages.ImageFileError as error:
        raise VolumeReadError("not a NIfTI file (no valid NIfTI header)", path) from error
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise VolumeReadError("truncated or corrupt: the header cannot be decompressed", path) from error
    except (OSError, ValueError, struct.error) as error:
        raise VolumeReadError(f"cannot be read as NIfTI ({error})", path) from error
    if not isinstance(image, (nib.Nifti1Image, nib.Nifti2Image)):
        raise VolumeReadError(
            "not a NIfTI file", path, expected="NIfTI-1 or NIfTI-2", actual=type(image).__name__
        )
    return image


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


def _nifti_header(path: Path, image: nib.Nifti1Image) -> VolumeHeader:
    shape = _squeeze_shape(path, tuple(int(n) for n in image.shape))
    dtype = image.header.get_data_dtype()
    if dtype.fields is not None or dtype.kind not in "biuf":
        raise InvalidValuesError("has an unsupported voxel type", path,
                                 expected="integer or float scalars", actual=str(dtype))
    return VolumeHeader(path=path, shape=shape, affine=np.asarray(image.affine, np.float64),
                        dtype=dtype, format="nifti", nifti_header=image.header.copy())


def _nifti_expected_bytes(image: nib.Nifti1Image) -> int:
    # The proxy's offset is the file's vox_offset (image.header may have it reset).
    offset = int(getattr(image.dataobj, "offset", 0))
    return offset + int(np.prod(image.shape)) * image.header.get_data_dtype().itemsize


def _check_nifti_size(path: Path, ext: str, image: nib.Nifti1Image) -> None:
    """Detect truncation without reading the voxels."""
    expected = _nifti_expected_bytes(image)
    if ext == ".nii":
        actual = path.stat().st_size
        if actual < expected:
            raise VolumeReadError("truncated: the file is shorter than its header says", path,
                                  expected=f"{expected} bytes", actual=f"{actual} bytes")
        return
    # gzip's trailer holds the uncompressed size mod 2**32. A mismatch means a cut file
    # (or, rarely, a multi-member gzip): only then decompress fully to be sure.
    with path.open("rb") as handle:
        handle.seek(-4, 2)
        isize = struct.unpack("<I", handle.read(4))[0]
    if isize != expected % 2**32:
        actual = _gzip_stream_size(path)
        if actual < expected:
            raise VolumeReadError("truncated: the compressed data ends early", path,
                                  expected=f"{expected} bytes", actual=f"{actual} bytes")


def _gzip_stream_size(path: Path) -> int:
    """Bytes that decompress from ``path`` (all gzip members) before it ends or breaks."""
    total = 0
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                while chunk:
                    total += len(inflater.decompress(chunk))
                    chunk = inflater.unused_data if inflater.eof else b""
                    if inflater.eof:  # the next gzip member starts here
                        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    except zlib.error:
        pass  # corrupt data: what came out so far is the answer
    return total


def _nifti_array(path: Path, image: nib.Nifti1Image) -> np.ndarray:
    """The voxels, in the file dtype unless scaling applies (then float32)."""
    proxy = image.dataobj
    slope, inter = getattr(proxy, "slope", 1.0), getattr(proxy, "inter", 0.0)
    try:
        if (slope == 1.0 or np.isnan(slope)) and (inter == 0.0 or np.isnan(inter)):
            array = np.asarray(proxy.get_unscaled())
        else:
            array = image.get_fdata(dtype=np.float32)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise VolumeReadError("truncated or corrupt: the compressed data ends early", path) from error
    except (OSError, ValueError) as error:
        raise VolumeReadError("truncated or unreadable voxel data", path, expected=(
            f"{_nifti_expected_bytes(image)} bytes"), actual=f"{path.stat().st_size} bytes") from error
    return array


# --- SimpleITK formats ------------------------------------------------------------------


def _itk_reader(path: Path) -> Any:
    import SimpleITK as sitk  # imported here: only these formats need it

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as error:
        raise VolumeReadError(f"cannot be read as {volume_extension(path)} "
                              f"({_itk_reason(error, path)})", path) from error
    return reader


def _itk_reason(error: Exception, path: Path) -> str:
    """The informative part of an ITK exception: its last line, without the file's path."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    reason = lines[-1].replace(f'"{path}"', path.name).replace(str(path), path.name)
    reason = reason.replace("sitk::ERROR: ", "")
    return reason[:200]


def _itk_geometry(path: Path, size: tuple[int, ...], spacing: tuple[float, ...],
                  origin: tuple[float, ...], direction: tuple[float, ...],
                  components: int) -> tuple[tuple[int, int, int], np.ndarray]:
    if components != 1:
        raise InvalidValuesError("has vector voxels", path, expected="1 component",
                                 actual=f"{components} components")
    shape = _squeeze_shape(path, tuple(int(n) for n in size))
    dim = len(size)
    lps = np.eye(4)
    matrix = np.asarray(direction, float).reshape(dim, dim)[:3, :3] * np.asarray(spacing[:3])
    lps[:3, :3] = matrix
    lps[:3, 3] = np.asarray(origin[:3], float)
    return shape, _LPS_TO_RAS @ lps


def _itk_header(path: Path) -> VolumeHeader:
    import SimpleITK as sitk

    reader = _itk_reader(path)
    shape, affine = _itk_geometry(path, reader.GetSize(), reader.GetSpacing(), reader.GetOrigin(),
                                  reader.GetDirection(), reader.GetNumberOfComponents())
    pixel = sitk.GetPixelIDValueAsString(reader.GetPixelID())
    dtype = _ITK_DTYPES.get(pixel)
    if dtype is None:
        raise InvalidValuesError("has an unsupported voxel type", path,
                                 expected="integer or float scalars", actual=pixel)
    return VolumeHeader(path=path, shape=shape, affine=affine, dtype=np.dtype(dtype), format="itk")


def _itk_read(path: Path) -> tuple[VolumeHeader, np.ndarray]:
    import SimpleITK as sitk

    header = _itk_header(path)
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as error:
        # ITK's reasons for a short file vary by format and are often misleading.
        raise VolumeReadError("truncated or unreadable voxel data", path) from error
    zyx = sitk.GetArrayFromImage(image)
    # ITK arrays are C-ordered (z, y, x): the reversed-axes view is (x, y, z), Fortran-ordered
    # like nibabel's arrays, without a copy.
    array = np.transpose(zyx, tuple(range(zyx.ndim - 1, -1, -1)))
    return header, array


_ITK_DTYPES = {
    "8-bit unsigned integer": "uint8", "8-bit signed integer": "int8",
    "16-bit unsigned integer": "uint16", "16-bit signed integer": "int16",
    "32-bit unsigned integer": "uint32", "32-bit signed integer": "int32",
    "64-bit unsigned integer": "uint64", "64-bit signed integer": "int64",
    "32-bit float": "float32", "64-bit float": "float64",
}
