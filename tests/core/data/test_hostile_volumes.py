"""Hostile volume files: every kind of damage is a named one-line problem, never "ok".

The corpus is generated (``hostile_corpus``), not committed. For each damaged file the
full reader must raise a typed error naming the file, in one line, with the words of
its class; the header-only reader must either say the same or (for damage only a full
read can see: a CRC) pass it to the full read. Valid but unusual files (big-endian,
several gzip members, zero padding, scaling, NIfTI-2, extensions) must read exactly as
nibabel reads them.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from lrpstudio.core.data import read_limits
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, Release
from lrpstudio.core.data.validation import check_case_files, check_geometry, CaseCheck
from lrpstudio.core.data.volume_io import VolumeHeader, read_header, read_volume
from lrpstudio.core.errors import LrpStudioError
from tests.core.data import hostile_corpus as corpus

#: Damage that only inflating the whole stream reveals (header and trailer look fine).
FULL_READ_ONLY = {"damaged_stored_block", "damaged_deflate_mid_file", "bad_crc_trailer"}


def _one_line_error(path: Path, read: object, words: str) -> LrpStudioError:
    with pytest.raises(LrpStudioError) as caught:
        read(path)  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message and words in message, message
    assert caught.value.path is not None and caught.value.path.name in message
    return caught.value


@pytest.mark.parametrize("name", sorted(corpus.NIFTI_DEFECTS))
def test_damaged_nifti_gz_is_a_named_problem(tmp_path: Path, name: str) -> None:
    maker, words = corpus.NIFTI_DEFECTS[name]
    path = maker(tmp_path / "BraTS2021_00001_t1.nii.gz")
    deep = _one_line_error(path, read_volume, words)
    if name in FULL_READ_ONLY:
        assert read_header(path).shape  # the header itself is fine
    else:
        assert _one_line_error(path, read_header, words).detail() == deep.detail()


@pytest.mark.parametrize("name", sorted(corpus.NII_DEFECTS))
def test_damaged_nii_is_a_named_problem(tmp_path: Path, name: str) -> None:
    maker, words = corpus.NII_DEFECTS[name]
    path = maker(tmp_path / "scan_t1.nii")
    assert _one_line_error(path, read_volume, words).detail() == \
        _one_line_error(path, read_header, words).detail()


@pytest.mark.parametrize("name", sorted(corpus.FILE_KIND_DEFECTS))
def test_not_a_regular_file_is_named_not_missing(tmp_path: Path, name: str) -> None:
    maker, words = corpus.FILE_KIND_DEFECTS[name]
    path = maker(tmp_path / "BraTS2021_00001_flair.nii.gz")
    for read in (read_header, read_volume):
        assert "file does not exist" not in str(_one_line_error(path, read, words))


@pytest.mark.parametrize("name", sorted(corpus.ITK_DEFECTS))
def test_lying_itk_headers_are_refused_before_reading(tmp_path: Path, name: str) -> None:
    maker, words = corpus.ITK_DEFECTS[name]
    path = maker(tmp_path / "scan")
    for read in (read_header, read_volume):
        _one_line_error(path, read, words)


@pytest.mark.parametrize("name", sorted(corpus.ITK_STREAM_DEFECTS))
def test_damaged_compressed_itk_data_is_found_by_a_full_read(tmp_path: Path, name: str) -> None:
    maker, words = corpus.ITK_STREAM_DEFECTS[name]
    path = maker(tmp_path / "scan")
    assert read_header(path).shape == (40, 30, 20)
    _one_line_error(path, read_volume, words)


def _nibabel(path: Path) -> np.ndarray:
    image = nib.load(str(path))
    return np.asanyarray(image.dataobj)


@pytest.mark.parametrize("variant", ["big_endian", "two_members", "zero_padding", "scaled",
                                     "nifti2", "extension", "singleton_4d", "float64", "nii"])
def test_valid_variants_read_exactly_as_nibabel(tmp_path: Path, variant: str) -> None:
    array = corpus.good_array((9, 7, 5), "float64" if variant == "float64" else "int16")
    image = (nib.Nifti2Image if variant == "nifti2" else nib.Nifti1Image)(
        array[..., None] if variant == "singleton_4d" else array, corpus.AFFINE)
    if variant == "big_endian":
        image = nib.Nifti1Image(array.astype(">i2"), corpus.AFFINE)
    if variant == "scaled":
        image.header.set_slope_inter(0.5, -3.0)
    if variant == "extension":
        image.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"made by a test"))
    data = image.to_bytes()
    path = tmp_path / ("vol.nii" if variant == "nii" else "vol.nii.gz")
    if variant == "two_members":
        packed = gzip.compress(data[:1000]) + gzip.compress(data[1000:])
    elif variant == "zero_padding":
        packed = gzip.compress(data) + bytes(512)
    else:
        packed = data if variant == "nii" else gzip.compress(data)
    path.write_bytes(packed)
    volume = read_volume(path)
    expected = nib.load(str(path))
    reference = expected.get_fdata(dtype=np.float32) if variant == "scaled" else _nibabel(path)
    np.testing.assert_array_equal(volume.array, reference.reshape(volume.array.shape))
    assert volume.array.dtype == reference.dtype
    np.testing.assert_allclose(volume.affine, expected.affine)
    assert read_header(path).shape == volume.array.shape == (9, 7, 5)


def test_zero_sform_falls_back_to_the_qform(tmp_path: Path) -> None:
    data = corpus.nifti_bytes(srow_x=[0, 0, 0, 0], srow_y=[0, 0, 0, 0], srow_z=[0, 0, 0, 0],
                              qform_code=1)
    path = corpus.write(tmp_path / "vol.nii.gz", corpus.gzip_bytes(data))
    qform = nib.load(str(path)).header.get_qform()
    np.testing.assert_allclose(read_volume(path).affine, qform)
    np.testing.assert_allclose(qform, corpus.AFFINE, atol=1e-5)


def _case(tmp_path: Path, damage: dict[str, corpus.Maker]) -> dict[str, Path]:
    """Four modalities and a seg of the corpus shape, some of them damaged."""
    files = {}
    for kind in ("t1", "t1ce", "t2", "flair", "seg"):
        path = tmp_path / f"BraTS2021_00001_{kind}.nii.gz"
        if kind in damage:
            files[kind] = damage[kind](path)
            continue
        array = corpus.good_array(seed=len(files)) if kind != "seg" else \
            (corpus.good_array() % 3).astype(np.uint8)
        files[kind] = corpus.write(path, corpus.gzip_bytes(corpus.nifti_bytes(array)))
    return files


def _check(files: dict[str, Path], deep: bool) -> CaseCheck:
    return check_case_files("BraTS2021_00001", files, Release.BRATS2021,
                            LABEL_CONVENTIONS[Release.BRATS2021], deep=deep)


def test_nan_in_one_modality_affine_fails_the_case(tmp_path: Path) -> None:
    files = _case(tmp_path, {"t2": corpus.nan_sform_no_qform})
    for deep in (False, True):
        check = _check(files, deep)
        assert not check.ok
        assert [p.file for p in check.problems if p.severity == "error"] == [files["t2"]]
        assert "no usable affine" in check.problems[0].problem


def test_geometry_check_does_not_pass_nan_affines(tmp_path: Path) -> None:
    check = CaseCheck("c")
    nan_affine = corpus.AFFINE.copy()
    nan_affine[0, 0] = np.nan
    for kind, affine in (("t1", corpus.AFFINE), ("t2", corpus.AFFINE), ("flair", nan_affine)):
        check.headers[kind] = VolumeHeader(tmp_path / kind, (2, 2, 2), affine, np.dtype("i2"),
                                           "nifti")
    check_geometry(check)
    assert [p.file.name for p in check.problems] == ["flair"]
    assert "affine differs" in check.problems[0].problem


@pytest.mark.parametrize("name", sorted(corpus.NIFTI_DEFECTS))
def test_a_damaged_file_is_its_case_problem_in_every_mode(tmp_path: Path, name: str) -> None:
    maker, words = corpus.NIFTI_DEFECTS[name]
    files = _case(tmp_path, {"flair": maker})
    header_check, deep_check = _check(files, False), _check(files, True)
    named = [p for p in deep_check.problems if p.file == files["flair"] and words in p.problem]
    assert named and not deep_check.ok
    # A deep verdict only adds to a header verdict (the same path, reading further).
    assert set(header_check.problems) <= set(deep_check.problems)
    if name not in FULL_READ_ONLY:
        assert not header_check.ok


def test_read_limit_refuses_before_allocating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus.write(tmp_path / "big.nii.gz", corpus.gzip_bytes(corpus.nifti_bytes(
        corpus.good_array((64, 64, 64)))))
    assert read_header(path).read_cost == 2 * 64 ** 3 * 2
    monkeypatch.setenv(read_limits.LIMIT_ENV, "0.5")
    for read in (read_header, read_volume):
        _one_line_error(path, read, "more than the limit of 0.5 MiB")


def test_case_over_the_read_limit_is_refused_in_every_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _case(tmp_path, {})
    per_file = read_header(files["t1"]).read_cost
    monkeypatch.setenv(read_limits.LIMIT_ENV, str(3.5 * per_file / 2**20))
    for deep in (False, True):
        check = _check(files, deep)
        assert [p.problem for p in check.problems if p.severity == "error"] == [
            check.errors[0].detail()]
        assert "need" in check.problems[0].problem and check.problems[0].file == tmp_path
        assert not check.volumes


def test_budget_makes_a_read_wait_for_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(read_limits.LIMIT_ENV, "1")
    budget, order = read_limits.ByteBudget(), []

    def second() -> None:
        with budget.hold(600_000):
            order.append("second")

    with budget.hold(600_000):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"] and budget.used == 0


def test_budget_session_keeps_bytes_until_it_ends() -> None:
    budget = read_limits.ByteBudget()
    with budget.session():
        with budget.hold(1000):
            pass
        assert budget.used == 1000
    assert budget.used == 0


def test_gzip_stream_truncated_and_multi_member_tails(tmp_path: Path) -> None:
    data = corpus.nifti_bytes()
    path = corpus.write(tmp_path / "v.nii.gz", corpus.gzip_bytes(data) + corpus.gzip_bytes(b"x"))
    # One extra byte after the voxels in a second member: allowed trailing data.
    assert read_volume(path).array.shape == corpus.SHAPE
    cut = corpus.write(tmp_path / "w.nii.gz", (corpus.gzip_bytes(data) + b"\x1f\x8b\x08"))
    _one_line_error(cut, read_volume, "truncated")


def test_a_folder_beside_the_real_file_does_not_make_the_case_ambiguous(tmp_path: Path) -> None:
    from lrpstudio.core.data.discovery import discover
    from tests.brats_factory import write_case

    folder = write_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", grade="HGG")
    (folder / "BraTS2021_00001_t1.nii").mkdir()  # e.g. left by an unzip tool
    corpus.folder(tmp_path / "BraTS2021_00002" / "BraTS2021_00002_t1.nii.gz")
    cases, _ = discover(tmp_path)
    by_id = {case.id: case for case in cases}
    assert by_id["BraTS2021_00001"].usable_for_review, by_id["BraTS2021_00001"].problems
    assert any("not a regular file: a folder" in p.problem
               for p in by_id["BraTS2021_00002"].problems)
