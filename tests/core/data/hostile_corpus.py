"""Generate damaged and lying volume files for tests (a helper module, not a test module).

Nothing here is committed as binary: every file is made from a good volume written by
nibabel or SimpleITK, then damaged the way real disks, copies and other tools damage
them. Each maker takes the path to write and returns it.

- :data:`NIFTI_DEFECTS`: name -> (maker, words the one-line problem must contain).
- :data:`ITK_DEFECTS`: the same for ``.mha`` / ``.mhd`` / ``.nrrd``.
- :data:`FILE_KIND_DEFECTS`: not a regular file (link loop, FIFO, folder, broken link).
- :func:`nifti_bytes`, :func:`set_fields`, :func:`gzip_bytes` build files from parts.

The stream-damage makers damage the volume already at their path when there is one
(so a damaged case keeps its geometry), else a generated one.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import Callable

import nibabel as nib
import numpy as np

SHAPE = (12, 10, 8)
AFFINE = np.array([[-1.0, 0, 0, 10], [0, -1.0, 0, 20], [0, 0, 1.0, -5], [0, 0, 0, 1]])
Maker = Callable[[Path], Path]


def good_array(shape: tuple[int, ...] = SHAPE, dtype: str = "int16", seed: int = 0) -> np.ndarray:
    """Positive random voxels (no zeros, so no 'all zero' warning)."""
    return np.random.default_rng(seed).integers(1, 1000, size=shape).astype(dtype)


def nifti_bytes(array: np.ndarray | None = None, affine: np.ndarray = AFFINE,
                nifti2: bool = False, **fields: object) -> bytes:
    """An uncompressed single-file NIfTI as bytes, with header ``fields`` overwritten raw."""
    array = good_array() if array is None else array
    klass = nib.Nifti2Image if nifti2 else nib.Nifti1Image
    image = klass(array, affine)
    image.header.set_data_dtype(array.dtype)
    data = image.to_bytes()
    return set_fields(data, **fields) if fields else data


def set_fields(data: bytes, **fields: object) -> bytes:
    """``data`` with raw header fields replaced, no checks at all (``dim=[...]`` etc.)."""
    size = struct.unpack("<i", data[:4])[0]
    order = "<" if size in (348, 540) else ">"
    size = size if order == "<" else struct.unpack(">i", data[:4])[0]
    klass = nib.Nifti1Header if size == 348 else nib.Nifti2Header
    record = np.frombuffer(bytearray(data[:size]),
                           dtype=klass.template_dtype.newbyteorder(order)).copy()
    for name, value in fields.items():
        record[0][name] = value
    return record.tobytes() + data[size:]


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """One gzip member (``level=0``: stored blocks, so damaged bytes still inflate)."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def good_nii_gz(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes()))


# --- compressed-stream damage ---------------------------------------------------------------


def _bigger() -> bytes:
    """A NIfTI large enough that damage lands mid-stream, not in the header."""
    return nifti_bytes(good_array((64, 64, 32), seed=3))


def _nifti_of(path: Path) -> bytes:
    """The (decompressed) NIfTI already at ``path`` when there is one, else :func:`_bigger`.

    Damaging a case's own file keeps its geometry: the damage is then its only problem.
    """
    if path.is_file() and not path.is_symlink():
        data = path.read_bytes()
        path.unlink()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return _bigger()


def damaged_stored(path: Path) -> Path:
    """Stored (level 0) deflate with 64 bytes changed mid-file: inflates fine, CRC fails."""
    data = bytearray(gzip_bytes(_nifti_of(path), level=0))
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0x5A for b in data[middle:middle + 64])
    return write(path, bytes(data))


def damaged_deflate(path: Path) -> Path:
    """64 bytes of a compressed deflate stream overwritten mid-file."""
    data = bytearray(gzip_bytes(_nifti_of(path)))
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(range(64))
    return write(path, bytes(data))


def bad_crc(path: Path) -> Path:
    data = bytearray(gzip_bytes(_nifti_of(path)))
    data[-8] ^= 0xFF
    return write(path, bytes(data))


def bad_isize(path: Path) -> Path:
    data = bytearray(gzip_bytes(_nifti_of(path)))
    data[-4:] = struct.pack("<I", (struct.unpack("<I", bytes(data[-4:]))[0] + 1000) % 2**32)
    return write(path, bytes(data))


def truncated_gz(path: Path) -> Path:
    data = gzip_bytes(_nifti_of(path))
    return write(path, data[: len(data) * 2 // 3])


def trailing_garbage(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes()) + b"this is not gzip data")


def repeated_gzip(prefix: bytes, chunk: bytes, times: int) -> bytes:
    """A valid gzip member of ``prefix + chunk * times``, made in time ~ ``times`` copies.

    A full flush ends each deflate block on a byte boundary with no back references, so
    one compressed chunk can be repeated; only the CRC32 is computed over everything.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    size = (len(prefix) + len(chunk) * times) % 2**32
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + head + body * times + tail
            + struct.pack("<II", crc, size))


def trailing_data_bomb(path: Path) -> Path:
    """A valid small volume whose gzip stream goes on with 64 MiB of zeros."""
    return write(path, repeated_gzip(nifti_bytes(), bytes(1 << 20), 64))


def gzip_bomb(path: Path, side: int = 1024) -> Path:
    """A header claiming side^3 uint8 voxels, all of them present as zeros (1 GiB at 1024),
    compressed ~1000:1 — a real, internally valid gzip stream."""
    header = set_fields(nifti_bytes(good_array((2, 2, 2), "uint8")),
                        dim=[3, side, side, side, 1, 1, 1, 1])[:352]
    return write(path, repeated_gzip(header, bytes(side * side), side))


def lying_dims_gz(path: Path) -> Path:
    """A small .nii.gz whose header claims 1150^3 int16 voxels (3 GB)."""
    return write(path, gzip_bytes(nifti_bytes(dim=[3, 1150, 1150, 1150, 1, 1, 1, 1])))


def lying_dims_nii(path: Path) -> Path:
    return write(path, nifti_bytes(dim=[3, 1150, 1150, 1150, 1, 1, 1, 1]))


def lying_dims_nifti2(path: Path) -> Path:
    """NIfTI-2 dims are 64-bit: claim 2**40 voxels along x."""
    return write(path, gzip_bytes(nifti_bytes(nifti2=True, dim=[3, 2**40, 10, 8, 1, 1, 1, 1])))


# --- header fields ---------------------------------------------------------------------------


def _header_defect(**fields: object) -> Maker:
    return lambda path: write(path, gzip_bytes(nifti_bytes(**fields)))


def nan_sform_no_qform(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(srow_x=[np.nan, 0, 0, 10], qform_code=0)))


def zero_sform_no_qform(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(srow_x=[0, 0, 0, 0], srow_y=[0, 0, 0, 0],
                                              srow_z=[0, 0, 0, 0], qform_code=0)))


def singular_sform(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(srow_z=[0, 0, 0, -5], qform_code=0)))


def inf_pixdim_qform(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(sform_code=0, pixdim=[1, np.inf, 1, 1, 1, 1, 1, 1])))


def nifti_pair_header(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(magic=b"ni1")))


def extension_overflow(path: Path) -> Path:
    """A 16-byte extension whose own size field says 4096 bytes (past vox_offset)."""
    data = nifti_bytes()
    extension = b"\x01\x00\x00\x00" + struct.pack("<ii", 4096, 6) + bytes(8)
    data = set_fields(data[:348] + extension + data[352:], vox_offset=368)
    return write(path, gzip_bytes(data))


def infinite_intercept(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(scl_slope=2.0, scl_inter=np.inf)))


def four_d_two_volumes(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(good_array((12, 10, 8, 2)))))


def two_d(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes(good_array((12, 10)))))


def short_header(path: Path) -> Path:
    return write(path, gzip_bytes(nifti_bytes()[:200]))


def truncated_nii(path: Path) -> Path:
    data = nifti_bytes()
    return write(path, data[: len(data) - 100])


def empty_file(path: Path) -> Path:
    return write(path, b"")


def text_as_gz(path: Path) -> Path:
    return write(path, b"not a volume at all\n" * 10)


def gzip_of_text(path: Path) -> Path:
    return write(path, gzip_bytes(b"hello, this is text and not NIfTI\n" * 40))


def random_bytes_nii(path: Path) -> Path:
    return write(path, np.random.default_rng(5).bytes(4096))


#: name -> (maker for a .nii.gz / .nii path, words its problem must contain).
NIFTI_DEFECTS: dict[str, tuple[Maker, str]] = {
    "damaged_stored_block": (damaged_stored, "CRC32"),
    "damaged_deflate_mid_file": (damaged_deflate, "corrupt"),
    "bad_crc_trailer": (bad_crc, "CRC32"),
    "bad_isize_trailer": (bad_isize, "length trailer"),
    "truncated_gz": (truncated_gz, "truncated"),
    "trailing_garbage": (trailing_garbage, "after the end of the gzip data"),
    "trailing_data_bomb": (trailing_data_bomb, "more data than its header describes"),
    "gzip_bomb": (gzip_bomb, "memory"),
    "lying_dims_gz": (lying_dims_gz, "far too small"),
    "lying_dims_nifti2": (lying_dims_nifti2, "far too small"),
    "dim0_zero": (_header_defect(dim=[0, 12, 10, 8, 1, 1, 1, 1]), "dim[0]"),
    "dim0_eight": (_header_defect(dim=[8, 12, 10, 8, 1, 1, 1, 1]), "dim[0]"),
    "dim0_negative": (_header_defect(dim=[-3, 12, 10, 8, 1, 1, 1, 1]), "dim[0]"),
    "zero_dim": (_header_defect(dim=[3, 12, 0, 8, 1, 1, 1, 1]), "empty dimension"),
    "negative_dim": (_header_defect(dim=[3, 12, -10, 8, 1, 1, 1, 1]), "empty dimension"),
    "unknown_datatype": (_header_defect(datatype=999), "unknown NIfTI datatype code"),
    "complex_datatype": (_header_defect(datatype=32, bitpix=64), "unsupported voxel type"),
    "vox_offset_nan": (_header_defect(vox_offset=np.nan), "vox_offset"),
    "vox_offset_zero": (_header_defect(vox_offset=0), "vox_offset"),
    "vox_offset_huge": (_header_defect(vox_offset=3e9), "vox_offset"),
    "vox_offset_fraction": (_header_defect(vox_offset=352.5), "vox_offset"),
    "bad_magic": (_header_defect(magic=b"xyz"), "magic"),
    "pair_magic": (nifti_pair_header, ".hdr/.img"),
    "nan_sform_no_qform": (nan_sform_no_qform, "no usable affine"),
    "zero_sform_no_qform": (zero_sform_no_qform, "no usable affine"),
    "singular_sform": (singular_sform, "singular"),
    "inf_pixdim_qform": (inf_pixdim_qform, "no usable affine"),
    "extension_overflow": (extension_overflow, "invalid NIfTI header"),
    "infinite_intercept": (infinite_intercept, "scaling"),
    "four_d_two_volumes": (four_d_two_volumes, "2 volumes"),
    "two_d": (two_d, "not a 3-D volume"),
    "short_header": (short_header, "truncated"),
    "empty_file": (empty_file, "empty"),
    "text_named_gz": (text_as_gz, "not a gzip file"),
    "gzip_of_text": (gzip_of_text, "not a NIfTI"),
}

#: Uncompressed .nii defects (the path must end in .nii).
NII_DEFECTS: dict[str, tuple[Maker, str]] = {
    "gzip_named_nii": (lambda p: write(p, gzip_bytes(nifti_bytes())), "name it .nii.gz"),
    "lying_dims_nii": (lying_dims_nii, "shorter than its header"),
    "truncated_nii": (truncated_nii, "shorter than its header"),
    "random_bytes_nii": (random_bytes_nii, "not a NIfTI"),
}


# --- not a regular file ------------------------------------------------------------------


def symlink_loop(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(path.name, path)
    return path


def broken_link(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(path.name + ".gone", path)
    return path


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "inside.txt").write_text("a folder named like a volume\n")
    return path


#: Links and named pipes need a POSIX system (Windows: privileges, no FIFOs).
POSIX = hasattr(os, "mkfifo")
FILE_KIND_DEFECTS: dict[str, tuple[Maker, str]] = {
    "folder": (folder, "not a regular file: a folder"),
    **({"symlink_loop": (symlink_loop, "symbolic link loop"),
        "broken_link": (broken_link, "broken symbolic link"),
        "fifo": (fifo, "not a regular file: a named pipe")} if POSIX else {}),
}


# --- SimpleITK formats ----------------------------------------------------------------------


def _meta_header(dims: tuple[int, ...], spacing: str = "1 1 1", origin: str = "0 0 0",
                 extra: str = "", data_file: str = "LOCAL") -> bytes:
    return (f"ObjectType = Image\nNDims = {len(dims)}\nBinaryData = True\n"
            f"BinaryDataByteOrderMSB = False\n{extra}ElementSpacing = {spacing}\n"
            f"Offset = {origin}\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"
            f"DimSize = {' '.join(map(str, dims))}\nElementType = MET_SHORT\n"
            f"ElementDataFile = {data_file}\n").encode()


def mha(path: Path, dims: tuple[int, ...] = SHAPE, n_bytes: int | None = None, **kw: str) -> Path:
    """A MetaImage with ``n_bytes`` of int16 data (default: what ``dims`` needs)."""
    n_bytes = int(np.prod(dims)) * 2 if n_bytes is None else n_bytes
    data = good_array((n_bytes // 2 + 1,)).tobytes()[:n_bytes]
    return write(path, _meta_header(dims, **kw) + data)


def nrrd(path: Path, dims: tuple[int, ...] = SHAPE, n_bytes: int | None = None,
         encoding: str = "raw") -> Path:
    n_bytes = int(np.prod(dims)) * 2 if n_bytes is None else n_bytes
    data = good_array((n_bytes // 2 + 1,)).tobytes()[:n_bytes]
    if encoding == "gzip":
        data = gzip_bytes(data)
    header = (f"NRRD0004\ntype: short\ndimension: {len(dims)}\nspace: left-posterior-superior\n"
              f"sizes: {' '.join(map(str, dims))}\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n"
              f"endian: little\nencoding: {encoding}\nspace origin: (0,0,0)\n\n").encode()
    return write(path, header + data)


def mhd_pointing_to(path: Path, target: Callable[[Path], Path]) -> Path:
    """A detached MetaImage header whose data file is made by ``target``."""
    raw = target(path.with_suffix(".raw"))
    return write(path, _meta_header(SHAPE, data_file=raw.name))


ITK_DEFECTS: dict[str, tuple[Maker, str]] = {
    "mha_lying_dims": (lambda p: mha(p.with_suffix(".mha"), (1150, 1150, 1150), 4000),
                       "shorter than its header"),
    "mha_short_data": (lambda p: mha(p.with_suffix(".mha"), (64, 64, 64), 5000),
                       "shorter than its header"),
    "mha_zero_spacing": (lambda p: mha(p.with_suffix(".mha"), spacing="1 0 1"), "singular"),
    "mha_negative_ndims": (lambda p: write(p.with_suffix(".mha"), mha(p.with_suffix(".mha"))
                                           .read_bytes().replace(b"NDims = 3", b"NDims = -1")),
                           "dimension count"),
    "mha_no_dimsize": (lambda p: write(p.with_suffix(".mha"), mha(p.with_suffix(".mha"))
                                       .read_bytes().replace(b"DimSize = 12 10 8\n", b"")),
                       "no complete MHA header"),
    "nrrd_sizes_disagree": (lambda p: write(p.with_suffix(".nrrd"), nrrd(p.with_suffix(".nrrd"))
                                            .read_bytes().replace(b"sizes: 12 10 8", b"sizes: 12 10")),
                            "dimension count"),
    "mha_unparsable_origin": (lambda p: mha(p.with_suffix(".mha"), origin="0 1e400 0"),
                              "cannot be read as .mha"),
    "mha_vector": (lambda p: mha(p.with_suffix(".mha"), n_bytes=int(np.prod(SHAPE)) * 6,
                                 extra="ElementNumberOfChannels = 3\n"), "vector"),
    "nrrd_lying_dims": (lambda p: nrrd(p.with_suffix(".nrrd"), (900, 900, 900), 3000),
                        "shorter than its header"),
    "nrrd_gzip_lying_dims": (lambda p: nrrd(p.with_suffix(".nrrd"), (2000, 2000, 900), 3000,
                                            "gzip"), "far too small"),
    "mhd_missing_raw": (lambda p: mhd_pointing_to(p.with_suffix(".mhd"), lambda r: r),
                        "its data file scan.raw does not exist"),
    **({"mhd_fifo_raw": (lambda p: mhd_pointing_to(p.with_suffix(".mhd"), fifo), "named pipe"),
        "mhd_loop_raw": (lambda p: mhd_pointing_to(p.with_suffix(".mhd"), symlink_loop),
                         "symbolic link loop")} if POSIX else {}),
}


def _damaged_itk(path: Path) -> Path:
    """A compressed NRRD / MetaImage written by SimpleITK, bytes changed in its data."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(good_array((20, 30, 40), seed=7))
    sitk.WriteImage(image, str(path), True)
    data = bytearray(path.read_bytes())
    start = data.index(b"LOCAL\n") + 6 if path.suffix == ".mha" else data.index(b"\n\n") + 2
    middle = (start + len(data)) // 2
    data[middle:middle + 16] = bytes(b ^ 0x33 for b in data[middle:middle + 16])
    return write(path, bytes(data))


#: Damage in compressed NRRD / MetaImage voxel data (ITK reads it without a word): only
#: a full read finds it.
ITK_STREAM_DEFECTS: dict[str, tuple[Maker, str]] = {
    "mha_zlib_damaged": (lambda p: _damaged_itk(p.with_suffix(".mha")), "corrupt"),
    "nrrd_gzip_damaged": (lambda p: _damaged_itk(p.with_suffix(".nrrd")), "corrupt"),
}
