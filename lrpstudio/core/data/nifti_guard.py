"""Validate a NIfTI header's raw fields before anything is allocated from them.

nibabel trusts a header: ``dim[0] = 9`` or an unknown datatype code raise deep inside it,
and dimensions that a 2.5 MB file cannot hold are allocated anyway. Here the raw fields
are read with nibabel's own record layout (``template_dtype``), checked one by one
(sizes, magic, ``dim``, datatype, ``vox_offset``, what the file's real size can hold and
the memory the read would take), and only then given to nibabel for the header object
and its affine, which must be finite and invertible (an unusable sform falls back to
the qform, as the NIfTI standard allows, before it is a problem).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from lrpstudio.core.data.read_limits import affine_problem, check_cost
from lrpstudio.core.errors import InvalidValuesError, VolumeReadError

#: sizeof_hdr -> header class (NIfTI-1: 348 bytes, NIfTI-2: 540 bytes).
HEADER_CLASSES: dict[int, Any] = {348: nib.Nifti1Header, 540: nib.Nifti2Header}
#: Datatype codes lrpstudio reads, -> numpy type (integers and floats: what MRI holds).
SUPPORTED_CODES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2",
                   768: "u4", 1024: "i8", 1280: "u8"}
#: Codes the standard defines but lrpstudio cannot use (binary, complex, RGB, float128).
_OTHER_CODES = {1: "binary", 32: "complex64", 128: "RGB", 1536: "float128", 1792: "complex128",
                2048: "complex256", 2304: "RGBA"}
#: Header extensions larger than this are not MRI metadata.
MAX_EXTENSION_BYTES = 16 << 20
#: Deflate cannot compress better than ~1032:1; a header claiming more than this many
#: bytes per compressed byte describes data the file cannot hold.
_MAX_DEFLATE_RATIO = 1100
_GZIP_OVERHEAD = 1 << 16


@dataclass(frozen=True)
class RawLayout:
    """What a header's checked raw fields say: sizes, voxel type and where voxels start."""

    dims: tuple[int, ...]
    dtype: np.dtype
    offset: int

    @property
    def end(self) -> int:
        """Where the voxel data ends in the (decompressed) file."""
        return self.offset + math.prod(self.dims) * self.dtype.itemsize


@dataclass(frozen=True, eq=False)
class NiftiLayout:
    """What a validated NIfTI header says about the bytes that follow it.

    Attributes
    ----------
    header
        nibabel's header object (extensions included).
    dims
        ``dim[1:dim[0] + 1]``, every one >= 1.
    dtype
        Stored voxel type, in the file's byte order.
    offset
        ``vox_offset``: where the voxels start in the (decompressed) file.
    slope, inter
        Scaling to apply, or None when the voxels are used as stored.
    affine
        Voxel-to-RAS affine, finite and invertible.
    """

    header: Any
    dims: tuple[int, ...]
    dtype: np.dtype
    offset: int
    slope: float | None
    inter: float | None
    affine: np.ndarray

    @property
    def data_bytes(self) -> int:
        """Bytes of voxel data the header describes."""
        return math.prod(self.dims) * self.dtype.itemsize

    @property
    def end(self) -> int:
        """Where the voxel data ends in the (decompressed) file."""
        return self.offset + self.data_bytes

    @property
    def scaled(self) -> bool:
        """Whether a scale slope/intercept other than 1/0 applies (output float32)."""
        return self.slope is not None and (self.slope != 1.0 or bool(self.inter))

    @property
    def read_cost(self) -> int:
        """Peak bytes reading and checking it takes: the raw buffer, a float32 copy
        when scaled, and as much again for the checks' temporaries."""
        out = math.prod(self.dims) * 4 if self.scaled else self.data_bytes
        return self.data_bytes + out + (out if self.scaled else 0)


def header_size(first4: bytes, path: Path) -> tuple[int, str]:
    """(sizeof_hdr, byte order) from a file's first 4 bytes; not NIfTI is an error."""
    if len(first4) == 4:
        for order in "<>":
            size = int(np.frombuffer(first4, dtype=f"{order}i4")[0])
            if size in HEADER_CLASSES:
                return size, order
    raise VolumeReadError("not a NIfTI file (no valid NIfTI header)", path)


def raw_fields(block: bytes, order: str) -> np.void:
    """The header record (no checks) in nibabel's layout for its size."""
    klass = HEADER_CLASSES[len(block)]
    return np.frombuffer(block, dtype=klass.template_dtype.newbyteorder(order))[0]


def _check_magic(fields: np.void, size: int, path: Path) -> None:
    magic = bytes(fields["magic"]).rstrip(b"\x00")
    expected = HEADER_CLASSES[size].single_magic
    if magic != expected:
        pair = " (a header of a .hdr/.img pair)" if magic in (b"ni1", b"ni2") else ""
        raise VolumeReadError(f"not a single-file NIfTI: its magic is {magic[:8]!r}{pair}",
                              path, expected=expected.decode(), actual=magic[:8].decode("latin-1"))


def check_dims(fields: np.void, path: Path) -> tuple[int, ...]:
    """``dim[1:dim[0] + 1]`` after checking ``dim[0]`` and that every size is >= 1."""
    dim = [int(v) for v in fields["dim"]]
    if not 1 <= dim[0] <= 7:
        raise VolumeReadError("has an invalid header: dim[0] (the number of dimensions) is "
                              "out of range", path, expected="1 to 7", actual=dim[0])
    dims = tuple(dim[1:dim[0] + 1])
    if min(dims) < 1:
        raise VolumeReadError("has an empty dimension", path, expected="all sizes >= 1",
                              actual=dims)
    return dims


def check_datatype(fields: np.void, order: str, path: Path) -> np.dtype:
    """The stored voxel type of a known, supported datatype code."""
    code = int(fields["datatype"])
    if code in SUPPORTED_CODES:
        return np.dtype(order + SUPPORTED_CODES[code])
    if code in _OTHER_CODES:
        raise InvalidValuesError("has an unsupported voxel type", path,
                                 expected="integer or float scalars", actual=_OTHER_CODES[code])
    raise VolumeReadError("has an invalid header: unknown NIfTI datatype code", path,
                          expected="a NIfTI datatype code", actual=code)


def check_offset(fields: np.void, size: int, path: Path) -> int:
    """``vox_offset`` as bytes: whole, after the header, not absurdly far."""
    value = float(fields["vox_offset"])
    minimum = HEADER_CLASSES[size].single_vox_offset
    if not math.isfinite(value) or value != int(value) or not \
            minimum <= value <= minimum + MAX_EXTENSION_BYTES:
        raise VolumeReadError("has an invalid header: vox_offset (where the voxels start) is "
                              "not a whole byte count just after the header", path,
                              expected=f"{minimum} to {minimum + MAX_EXTENSION_BYTES}",
                              actual=f"{value:g}")
    return int(value)


def check_room(end: int, file_size: int, compressed: bool, path: Path) -> None:
    """Refuse a header that describes more data than the file can hold (before allocating)."""
    if not compressed:
        if file_size < end:
            raise VolumeReadError("truncated: the file is shorter than its header says", path,
                                  expected=f"{end} bytes", actual=f"{file_size} bytes")
        return
    if end > file_size * _MAX_DEFLATE_RATIO + _GZIP_OVERHEAD:
        raise VolumeReadError(
            "truncated or a wrong header: the compressed file is far too small for the data "
            "its header describes", path,
            expected=f"at least {end // _MAX_DEFLATE_RATIO} compressed bytes for {end} bytes",
            actual=f"{file_size} bytes")


def nibabel_header(block: bytes, extensions: bytes, path: Path) -> Any:
    """nibabel's header object from checked bytes (its own remaining checks become errors)."""
    klass = HEADER_CLASSES[len(block)]
    try:
        return klass.from_fileobj(io.BytesIO(block + extensions))
    except Exception as error:  # nibabel raises several types for one bad field
        raise VolumeReadError(f"has an invalid NIfTI header ({_reason(error)})", path) from error


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:160]


def best_affine(header: Any, path: Path) -> np.ndarray:
    """The sform, else the qform, else the pixdim affine: the first usable one.

    nibabel takes the sform whenever its code is set; an all-zero or NaN sform is then
    used as it is. Here each candidate must be finite and invertible.
    """
    candidates = []
    if int(header["sform_code"]) > 0:
        candidates.append(("sform", header.get_sform))
    if int(header["qform_code"]) > 0:
        candidates.append(("qform", header.get_qform))
    if not candidates:
        candidates.append(("pixdim affine", header.get_base_affine))
    problems = []
    for name, getter in candidates:
        try:
            affine = np.asarray(getter(), dtype=np.float64)
        except Exception as error:  # a quaternion nibabel cannot use
            problems.append(f"the {name} cannot be computed ({_reason(error)})")
            continue
        problem = affine_problem(affine)
        if problem is None:
            return affine
        problems.append(f"the {name} {problem}")
    raise VolumeReadError("has no usable affine: " + "; ".join(problems), path)


def slope_inter(header: Any, path: Path) -> tuple[float | None, float | None]:
    """nibabel's scaling rule (slope 0/NaN: none), an infinite intercept an error."""
    try:
        slope, inter = header.get_slope_inter()
    except Exception as error:
        raise VolumeReadError(f"has an invalid scaling ({_reason(error)})", path) from error
    return slope, inter


def validate(block: bytes, order: str, path: Path, file_size: int, compressed: bool) -> RawLayout:
    """Check the raw fields of ``block`` (348 or 540 bytes).

    Raises
    ------
    VolumeReadError, InvalidValuesError
        The first field that is wrong, the file too small for the data, or the read
        would take more memory than the limit.
    """
    fields = raw_fields(block, order)
    _check_magic(fields, len(block), path)
    dims = check_dims(fields, path)
    dtype = check_datatype(fields, order, path)
    raw = RawLayout(dims, dtype, check_offset(fields, len(block), path))
    check_room(raw.end, file_size, compressed, path)
    return raw


def layout(block: bytes, extensions: bytes, raw: RawLayout, path: Path) -> NiftiLayout:
    """The full layout of a header whose raw fields :func:`validate` accepted; the read's
    memory cost is checked against the limit here, before any voxel is allocated."""
    header = nibabel_header(block, extensions, path)
    slope, inter = slope_inter(header, path)
    result = NiftiLayout(header, raw.dims, raw.dtype, raw.offset, slope, inter,
                         best_affine(header, path))
    check_cost(result.read_cost, path)
    return result
