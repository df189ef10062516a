"""Read a NIfTI file (``.nii`` or ``.nii.gz``) once, checking everything it claims.

The header's raw fields are validated (:mod:`~lrpstudio.core.data.nifti_guard`) before
any voxel memory is allocated; the voxels then go straight into one preallocated
buffer, from the file (``.nii``) or through a verifying gzip stream (``.nii.gz``,
:mod:`~lrpstudio.core.data.gzip_stream`) whose CRC32 and length trailers are checked to
the last byte. This is faster than ``nibabel.load`` of the same file (zlib computes the
CRC once, nibabel's gzip reader computes it again and copies twice) while nibabel still
supplies the header object and the affine.

A header-only read (:func:`read_nifti_layout`) checks what can be checked without
inflating the whole file: every header field, the room in the file, and the gzip length
trailer; when that trailer disagrees with the header, the whole stream is verified so
that the answer is the same one a full read gives.
"""

from __future__ import annotations

import struct
from contextlib import contextmanager
from pathlib import Path
from io import BufferedReader
from typing import BinaryIO, Callable, Iterator

import numpy as np

from lrpstudio.core.data import nifti_guard
from lrpstudio.core.data.gzip_stream import GzipStream
from lrpstudio.core.data.nifti_guard import NiftiLayout
from lrpstudio.core.data.read_limits import BUDGET
from lrpstudio.core.errors import VolumeReadError

#: Bytes after the voxels that a compressed file may hold (padding some writers add);
#: more is data the header does not describe, refused rather than inflated without end.
MAX_TRAILING_BYTES = 1 << 24


class _Source:
    """The decompressed bytes of a NIfTI file, read forward: a file or a gzip stream."""

    def __init__(self, handle: BufferedReader, path: Path, compressed: bool) -> None:
        self.handle = handle
        self.path = path
        self.stream = GzipStream(handle, path) if compressed else None

    def read(self, size: int) -> bytes:
        if self.stream is not None:
            return self.stream.read(size)
        data = self.handle.read(size)
        if len(data) < size:
            raise VolumeReadError("truncated: the file ends inside its header", self.path,
                                  expected=f"{size} more bytes", actual=f"{len(data)} bytes")
        return data

    def read_into(self, view: memoryview) -> None:
        if self.stream is not None:
            self.stream.read_into(view)
            return
        start = self.handle.tell()
        got = self.handle.readinto(view)
        if got != len(view):  # the size was checked against the header: the file shrank
            raise VolumeReadError("truncated: the file ended while it was read", self.path,
                                  expected=f"{start + len(view)} bytes", actual=f"{start + got} bytes")


@contextmanager
def _open(path: Path) -> Iterator[BufferedReader]:
    try:
        with path.open("rb") as handle:
            yield handle
    except OSError as error:
        raise VolumeReadError(f"cannot be read ({error.strerror or error})", path) from error


def _read_layout(source: _Source, file_size: int) -> NiftiLayout:
    """Read and validate the header (and its extensions) from the start of ``source``."""
    path, compressed = source.path, source.stream is not None
    first4 = source.read(4)
    if not compressed and first4[:2] == b"\x1f\x8b":
        raise VolumeReadError("not a NIfTI file: it is gzip-compressed although named .nii "
                              "(name it .nii.gz)", path)
    size, order = nifti_guard.header_size(first4, path)
    block = first4 + source.read(size - 4)
    raw = nifti_guard.validate(block, order, path, file_size, compressed)
    extensions = source.read(raw.offset - size)
    if source.stream is not None:
        source.stream.expected_total = raw.end
    return nifti_guard.layout(block, extensions, raw, path)


def _isize(handle: BinaryIO) -> int:
    """The gzip trailer's length field (uncompressed size mod 2**32)."""
    position = handle.tell()
    handle.seek(-4, 2)
    value = struct.unpack("<I", handle.read(4))[0]
    handle.seek(position)
    return value


LayoutCheck = Callable[[NiftiLayout], None]


def read_nifti_layout(path: Path, compressed: bool, file_size: int,
                      check: LayoutCheck) -> NiftiLayout:
    """Header-only read: every field checked, ``check(layout)`` called (it raises what the
    caller refuses, e.g. a 4-D shape), then the gzip trailer compared with the header."""
    with _open(path) as handle:
        source = _Source(handle, path, compressed)
        layout = _read_layout(source, file_size)
        check(layout)
        if source.stream is not None and _isize(handle) != layout.end % 2**32:
            # A cut file, a wrong trailer, or several gzip members: only a full pass can
            # tell, and it must say what a full read says.
            source.stream.skip(layout.end - source.stream.position)
            source.stream.finish(MAX_TRAILING_BYTES)
        return layout


def read_nifti(path: Path, compressed: bool, file_size: int, check: LayoutCheck) -> np.ndarray:
    """The voxels, every check passed (``check(layout)`` before anything is allocated);
    see :func:`voxels` for the array's type. The read holds its cost in the budget."""
    with _open(path) as handle:
        source = _Source(handle, path, compressed)
        layout = _read_layout(source, file_size)
        check(layout)
        with BUDGET.hold(layout.read_cost):
            buffer = np.empty(layout.data_bytes, dtype=np.uint8)
            source.read_into(buffer.data)
            if source.stream is not None:
                source.stream.finish(MAX_TRAILING_BYTES)
            return voxels(layout, buffer)


def voxels(layout: NiftiLayout, buffer: np.ndarray) -> np.ndarray:
    """The buffer as an ``[x, y, ...]`` array (Fortran order, as NIfTI stores it).

    The stored dtype is kept unless a slope/intercept other than 1/0 applies; then the
    values are scaled in float32 (``get_fdata(dtype=float32)``'s values, up to float32
    rounding: scaling in float64 would take twice the memory).
    """
    raw = np.ndarray(layout.dims, dtype=layout.dtype, buffer=buffer, order="F")
    if not layout.scaled:
        return raw
    out = raw.astype(np.float32)
    del raw, buffer
    if layout.slope != 1.0:
        out *= np.float32(layout.slope)
    if layout.inter:
        out += np.float32(layout.inter)
    return out
