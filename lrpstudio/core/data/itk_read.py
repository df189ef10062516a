"""Read NRRD and MetaImage volumes (``.nrrd``, ``.mha``, ``.mhd``) with SimpleITK, checked first.

SimpleITK allocates the whole image its header describes before it reads a byte of it.
So the header is read on its own (``ReadImageInformation``), its geometry checked
(one component, 3-D, a finite and invertible direction x spacing), its memory cost
bounded, and its raw data's size compared with the file's real size (uncompressed
data) or with what compressed data of that size can hold. Only then is the image read.

The LPS origin/spacing/direction become a RAS affine; ITK's ``z, y, x`` array is
transposed (a view) to ``x, y, z``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.file_checks import regular_file_size
from lrpstudio.core.data.gzip_stream import GZIP_WBITS, ZLIB_WBITS, GzipStream
from lrpstudio.core.data.read_limits import BUDGET, affine_problem, check_cost
from lrpstudio.core.errors import InvalidValuesError, VolumeReadError

#: RAS <-> LPS: ITK stores physical points in LPS, NIfTI affines map to RAS.
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_HEADER_PEEK = 1 << 16
_MAX_DEFLATE_RATIO = 1100
ITK_DTYPES = {
    "8-bit unsigned integer": "uint8", "8-bit signed integer": "int8",
    "16-bit unsigned integer": "uint16", "16-bit signed integer": "int16",
    "32-bit unsigned integer": "uint32", "32-bit signed integer": "int32",
    "64-bit unsigned integer": "uint64", "64-bit signed integer": "int64",
    "32-bit float": "float32", "64-bit float": "float64",
}


def _sitk() -> Any:
    import SimpleITK as sitk  # imported here: only these formats need it

    # lrpstudio reports each problem itself, in one line; ITK's own warnings would
    # print several lines to stderr for the same file.
    sitk.ProcessObject.SetGlobalWarningDisplay(False)
    return sitk


def itk_reason(error: Exception, path: Path) -> str:
    """The informative part of an ITK exception: its last line, without the file's path."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    reason = lines[-1].replace(f'"{path}"', path.name).replace(str(path), path.name)
    return reason.replace("sitk::ERROR: ", "")[:200]


def _reader(path: Path) -> Any:
    reader = _sitk().ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as error:
        raise VolumeReadError(f"cannot be read as {path.suffix.lower()} "
                              f"({itk_reason(error, path)})", path) from error
    return reader


def geometry(path: Path, size: tuple[int, ...], spacing: tuple[float, ...],
             origin: tuple[float, ...], direction: tuple[float, ...],
             components: int) -> tuple[tuple[int, ...], np.ndarray]:
    """(size as stored, RAS affine) after checking components and the affine."""
    if components != 1:
        raise InvalidValuesError("has vector voxels", path, expected="1 component",
                                 actual=f"{components} components")
    dim = len(size)
    if dim < 3 or min(size) < 1:
        return tuple(int(n) for n in size), np.eye(4)  # the shape check words it
    lps = np.eye(4)
    lps[:3, :3] = np.asarray(direction, float).reshape(dim, dim)[:3, :3] * np.asarray(spacing[:3])
    lps[:3, 3] = np.asarray(origin[:3], float)
    affine = _LPS_TO_RAS @ lps
    problem = affine_problem(affine)
    if problem is not None:
        raise VolumeReadError(f"has no usable affine: the direction x spacing matrix {problem} "
                              f"(spacing {tuple(spacing)})", path)
    return tuple(int(n) for n in size), affine


def header_fields(path: Path) -> tuple[dict[str, str], int]:
    """The text header's fields (lower-case keys) and the offset where its data starts."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEADER_PEEK)
    except OSError as error:
        raise VolumeReadError(f"cannot be read ({error.strerror or error})", path) from error
    if path.suffix.lower() == ".nrrd":
        return _nrrd_fields(head)
    return _meta_fields(head)


def _nrrd_fields(head: bytes) -> tuple[dict[str, str], int]:
    end = head.find(b"\n\n")
    text = head[: end if end >= 0 else len(head)].decode("latin-1")
    fields = {}
    for line in text.splitlines()[1:]:
        if ":" in line and not line.startswith("#") and ":=" not in line:
            key, value = line.split(":", 1)
            fields[key.strip().lower().replace(" ", "")] = value.strip()
    return fields, (end + 2 if end >= 0 else -1)


def _meta_fields(head: bytes) -> tuple[dict[str, str], int]:
    fields, offset = {}, -1
    for match in re.finditer(rb"([^\r\n=]+?)\s*=\s*([^\r\n]*)(\r?\n|$)", head):
        fields[match.group(1).decode("latin-1").strip().lower()] = \
            match.group(2).decode("latin-1").strip()
        if match.group(1).strip().lower() == b"elementdatafile":
            offset = match.end()
            break
    return fields, offset


@dataclass(frozen=True)
class DataLayout:
    """Where a text header's voxel data lies: file, start, bytes there, and its coding
    (``"raw"``, ``"gzip"``, ``"zlib"`` or ``"other"``: compressed, not verified here)."""

    file: Path
    offset: int
    room: int
    codec: str
    detached: str | None


def data_layout(path: Path) -> DataLayout | None:
    """The data layout of a NRRD / MetaImage file; None where lrpstudio cannot tell
    (ASCII data, skips, file lists and patterns: ITK checks those itself)."""
    fields, offset = header_fields(path)
    if path.suffix.lower() == ".nrrd":
        detached = fields.get("datafile")
        encoding = fields.get("encoding", "raw").lower()
        codec = {"raw": "raw", "gzip": "gzip", "gz": "gzip", "bzip2": "other",
                 "bz2": "other"}.get(encoding)
        if codec is None or {"lineskip", "byteskip"} & set(fields):
            return None
    else:
        detached = fields.get("elementdatafile")
        detached = None if (detached or "").upper() == "LOCAL" else detached
        codec = "zlib" if fields.get("compresseddata", "false").lower() == "true" else "raw"
        if fields.get("binarydata", "true").lower() == "false" or "headersize" in fields:
            return None
    if not detached:
        return DataLayout(path, offset, regular_file_size(path) - max(offset, 0), codec, None)
    if any(c in detached for c in "%*") or detached.upper().startswith("LIST"):
        return None
    data = path.parent / detached
    try:
        return DataLayout(data, 0, regular_file_size(data), codec, detached)
    except VolumeReadError as error:  # the problem is the header file's, naming its data
        raise VolumeReadError(f"its data file {detached} {error.problem.replace('file ', '')}",
                              path) from error


def _where(layout: DataLayout) -> str:
    return f"its data file {layout.detached}" if layout.detached else "the file"


def check_room(path: Path, shape: tuple[int, ...], itemsize: int) -> None:
    """Refuse a header that describes more data than the file (or its data file) holds."""
    layout = data_layout(path)
    if layout is None:
        return
    needed = math.prod(shape) * itemsize
    if layout.codec == "raw" and layout.room < needed:
        raise VolumeReadError(f"truncated: {_where(layout)} is shorter than its header says",
                              path, expected=f"{needed} bytes of voxel data",
                              actual=f"{layout.room} bytes")
    if layout.codec != "raw" and needed > layout.room * _MAX_DEFLATE_RATIO + (1 << 16):
        raise VolumeReadError(
            "truncated or a wrong header: the compressed data is far too small for the data "
            "its header describes", path,
            expected=f"at least {needed // _MAX_DEFLATE_RATIO} compressed bytes",
            actual=f"{layout.room} bytes")


def verify_compressed(path: Path, shape: tuple[int, ...], itemsize: int) -> None:
    """Inflate gzip (NRRD) or zlib (MetaImage) voxel data once, checking its CRC32 /
    Adler-32 and length: ITK reads damaged compressed data without a word."""
    layout = data_layout(path)
    if layout is None or layout.codec not in ("gzip", "zlib"):
        return
    wbits = GZIP_WBITS if layout.codec == "gzip" else ZLIB_WBITS
    try:
        with layout.file.open("rb") as handle:
            handle.seek(layout.offset)
            stream = GzipStream(handle, path, wbits)
            stream.expected_total = math.prod(shape) * itemsize
            stream.skip(stream.expected_total)
            stream.finish(max_extra=0)
    except OSError as error:
        raise VolumeReadError(f"cannot be read ({error.strerror or error})", path) from error


#: (dimension key, sizes key, pixel type key, most dimensions) per format. ITK itself
#: crashes (segmentation fault) on some of these fields' bad values, e.g. ``NDims = -1``.
_REQUIRED = {".nrrd": ("dimension", "sizes", "type", 16),
             ".mha": ("ndims", "dimsize", "elementtype", 16)}


def check_text_header(path: Path) -> None:
    """Check the fields ITK would trust before ITK sees them: the dimension count and
    every size, whole numbers in range and as many sizes as dimensions."""
    fields, offset = header_fields(path)
    suffix = ".nrrd" if path.suffix.lower() == ".nrrd" else ".mha"
    dim_key, sizes_key, type_key, most = _REQUIRED[suffix]
    if offset < 0 or not {dim_key, sizes_key, type_key} <= set(fields):
        raise VolumeReadError(f"has no complete {suffix.lstrip('.').upper()} header (its "
                              f"{dim_key}, {sizes_key} and {type_key} fields)", path)
    try:
        dim = int(fields[dim_key])
        sizes = [int(v) for v in fields[sizes_key].split()]
    except ValueError:
        dim, sizes = -1, []
    if not 1 <= dim <= most or len(sizes) != dim or min(sizes) < 1:
        raise VolumeReadError("has an invalid header: its dimension count or sizes are not "
                              "whole positive numbers that agree", path,
                              expected=f"{dim_key} 1 to {most} and as many sizes >= 1",
                              actual=f"{fields[dim_key]!r}, {fields[sizes_key]!r}"[:120])


def read_itk_header(path: Path) -> tuple[tuple[int, ...], np.ndarray, np.dtype, int]:
    """(size as stored, RAS affine, dtype, read cost) of a checked header."""
    check_text_header(path)
    reader = _reader(path)
    shape, affine = geometry(path, reader.GetSize(), reader.GetSpacing(), reader.GetOrigin(),
                             reader.GetDirection(), reader.GetNumberOfComponents())
    pixel = _sitk().GetPixelIDValueAsString(reader.GetPixelID())
    if pixel not in ITK_DTYPES:
        raise InvalidValuesError("has an unsupported voxel type", path,
                                 expected="integer or float scalars", actual=pixel)
    dtype = np.dtype(ITK_DTYPES[pixel])
    # ITK's image, its numpy copy, and the checks' temporaries.
    cost = 3 * math.prod(shape) * dtype.itemsize
    if min(shape) >= 1:
        check_room(path, shape, dtype.itemsize)
        check_cost(cost, path)
    return shape, affine, dtype, cost


def read_itk_voxels(path: Path, shape: tuple[int, ...], dtype: np.dtype, cost: int) -> np.ndarray:
    """The voxels as ``[x, y, z, ...]`` (a transposed view of ITK's ``z, y, x`` array),
    compressed data verified first."""
    verify_compressed(path, shape, dtype.itemsize)
    sitk = _sitk()
    with BUDGET.hold(cost):
        try:
            image = sitk.ReadImage(str(path))
        except RuntimeError as error:
            # ITK's reasons for a short file vary by format and are often misleading.
            raise VolumeReadError("truncated or unreadable voxel data", path) from error
        zyx = sitk.GetArrayFromImage(image)
        del image
    return np.transpose(zyx, tuple(range(zyx.ndim - 1, -1, -1)))
