"""Property-based fuzzing of the NIfTI header reader and the grade-table CSV reader.

Whatever the bytes, a reader either returns something that keeps its promises (a 3-D
shape, a finite invertible affine, an array of that shape, a read cost under the
limit; a table of HGG/LGG grades) or raises a typed error that names the file in one
line. Nothing else: no other exception, no hang, no allocation a header merely claims.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrpstudio.core.data.grades import read_grades_csv, read_name_mapping
from lrpstudio.core.data.read_limits import affine_problem, read_limit
from lrpstudio.core.data.volume_io import read_header, read_volume
from lrpstudio.core.errors import GradeError, LrpStudioError
from tests.core.data import hostile_corpus as corpus

# Derandomized and without an example database: the same examples on every run and
# machine (a failure reproduces), and nothing written into the working tree.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.sampled_from([0.0, 1.0, -1.0, 352.0, 1e30]))
_dims = st.lists(st.integers(-3, 40), min_size=8, max_size=8)
_codes = st.one_of(st.sampled_from([2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536]),
                   st.integers(-32768, 32767))
_fields = st.fixed_dictionaries({}, optional={
    "dim": _dims,
    "datatype": _codes,
    "bitpix": st.integers(-32768, 32767),
    "vox_offset": st.one_of(_floats, st.integers(0, 2**20).map(float)),
    "scl_slope": _floats,
    "scl_inter": _floats,
    "pixdim": st.lists(_floats, min_size=8, max_size=8),
    "qform_code": st.integers(-5, 5),
    "sform_code": st.integers(-5, 5),
    "quatern_b": _floats,
    "srow_x": st.lists(_floats, min_size=4, max_size=4),
    "srow_z": st.lists(_floats, min_size=4, max_size=4),
    "magic": st.sampled_from([b"n+1", b"ni1", b"n+2", b"", b"xyz"]),
    "sizeof_hdr": st.sampled_from([348, 540, 0, -1, 1 << 30]),
})


def _check_promises(path: Path) -> None:
    try:
        header = read_header(path)
    except LrpStudioError as error:
        assert "\n" not in str(error) and path.name in str(error)
        return
    assert len(header.shape) == 3 and min(header.shape) >= 1
    assert affine_problem(header.affine) is None and header.read_cost <= read_limit()
    try:
        volume = read_volume(path)
    except LrpStudioError as error:
        assert "\n" not in str(error) and path.name in str(error)
        return
    assert volume.array.shape == header.shape
    assert np.array_equal(volume.affine, header.affine)


@FUZZ
@given(fields=_fields, cut=st.integers(0, 400), compress=st.booleans(),
       extra=st.binary(max_size=64))
def test_fuzzed_nifti_headers_keep_the_promises(fields: dict, cut: int, compress: bool,
                                                extra: bytes) -> None:
    data = corpus.set_fields(corpus.nifti_bytes(), **fields)
    data = data[: len(data) - cut] + extra
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("scan_t1.nii.gz" if compress else "scan_t1.nii")
        path.write_bytes(gzip.compress(data) if compress else data)
        _check_promises(path)


@FUZZ
@given(noise=st.binary(min_size=1, max_size=600), start=st.integers(0, 2000))
def test_random_bytes_inside_a_nifti_keep_the_promises(noise: bytes, start: int) -> None:
    data = bytearray(corpus.nifti_bytes())
    start = min(start, len(data) - 1)
    data[start:start + len(noise)] = noise
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scan_flair.nii.gz"
        path.write_bytes(gzip.compress(bytes(data[:len(corpus.nifti_bytes())])))
        _check_promises(path)


_itk_values = st.one_of(st.sampled_from(["-1", "0", "1e308", "nan", "", "3 3", "-5 -5 -5",
                                          "99999999", "LIST", "%d", "True", "MET_DOUBLE"]),
                        st.text(alphabet="0123456789 -.e", max_size=12))
_itk_keys = st.sampled_from(["NDims", "DimSize", "ElementSpacing", "Offset", "TransformMatrix",
                             "ElementNumberOfChannels", "ElementType", "CompressedData",
                             "HeaderSize", "ElementDataFile", "BinaryData"])


@FUZZ
@given(changes=st.dictionaries(_itk_keys, _itk_values, max_size=3), cut=st.integers(0, 2000))
def test_fuzzed_metaimage_headers_keep_the_promises(changes: dict, cut: int) -> None:
    """ITK trusts these fields (``NDims = -1`` crashed the process): checked first."""
    with tempfile.TemporaryDirectory() as tmp:
        path = corpus.mha(Path(tmp) / "scan_t2.mha")
        head, data = path.read_bytes().split(b"ElementDataFile = LOCAL\n")
        lines = [line for line in head.decode().splitlines()
                 if line.split(" = ")[0] not in changes]
        lines += [f"{key} = {value}" for key, value in changes.items()]
        path.write_bytes(("\n".join(lines) + "\nElementDataFile = LOCAL\n").encode()
                         + data[: max(0, len(data) - cut)])
        _check_promises(path)


_cells = st.one_of(st.text(max_size=12), st.sampled_from(["HGG", "LGG", "hgg", "", "NA", "GBM"]))
_rows = st.lists(st.lists(_cells, min_size=0, max_size=4), max_size=8)


def _csv_promises(path: Path, reader: object) -> None:
    try:
        table = reader(path)  # type: ignore[operator]
    except GradeError as error:
        assert "\n" not in error.detail() and error.path == path
        return
    if table is not None:
        assert set(table.grades.values()) <= {"HGG", "LGG"}


@FUZZ
@given(rows=_rows, delimiter=st.sampled_from([",", ";", "\t", "|"]),
       header=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16",
                                                          "latin-1", "utf-16-le"]))
def test_fuzzed_grade_tables_read_or_fail_in_one_line(rows: list, delimiter: str, header: bool,
                                                      encoding: str) -> None:
    lines = ([f"case{delimiter}grade"] if header else []) + [delimiter.join(r) for r in rows]
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grades.csv"
        path.write_bytes(text.encode(encoding, "replace"))
        _csv_promises(path, read_grades_csv)
        path.rename(path.with_name("name_mapping.csv"))
        _csv_promises(path.with_name("name_mapping.csv"), read_name_mapping)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_binary_garbage_as_a_grade_table_fails_in_one_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grades.csv"
        path.write_bytes(data)
        _csv_promises(path, read_grades_csv)


def test_a_cell_over_128_kb_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    path.write_text("case,grade\nBraTS2021_00001,HGG\n" + "x" * 200_000 + ",LGG\n")
    try:
        read_grades_csv(path)
    except GradeError as error:
        assert error.path == path and "line 3" in error.problem and "longer than" in error.problem
    else:
        raise AssertionError("a 200 KB cell was accepted")
