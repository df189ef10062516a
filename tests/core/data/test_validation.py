"""Validation: label mapping against a slow reference, geometry checks, collected problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, MODALITIES, Release
from lrpstudio.core.data.validation import (
    CaseCheck,
    check_case_files,
    check_geometry,
    reference_kind,
    seg_to_canonical,
)
from lrpstudio.core.data.volume_io import read_header
from lrpstudio.core.errors import SegmentationError
from tests.brats_factory import case_files, read_back, save_volume, write_case

SEG = Path("seg.nii.gz")


@pytest.mark.parametrize("release", [Release.BRATS2021, Release.BRATS2023, Release.BRATS2024])
@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64"])
def test_canonical_mapping_matches_a_voxel_by_voxel_reference(release: Release, dtype: str) -> None:
    convention = LABEL_CONVENTIONS[release]
    rng = np.random.default_rng(3)
    values = np.array(sorted(convention.mapping))
    raw = values[rng.integers(0, len(values), size=(6, 5, 4))].astype(dtype)
    raw = np.asfortranarray(raw)  # NIfTI arrays are Fortran-ordered
    expected = np.empty(raw.shape, np.uint8)
    for index in np.ndindex(raw.shape):  # the slow reference
        expected[index] = convention.mapping[int(raw[index])]
    result = seg_to_canonical(raw, convention, SEG)
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, expected)


def test_canonical_input_is_never_aliased() -> None:
    raw = np.zeros((3, 3, 3), np.uint8)
    raw[1, 1, 1] = 2
    out = seg_to_canonical(raw, LABEL_CONVENTIONS[Release.BRATS2023], SEG)
    out[0, 0, 0] = 9
    assert raw[0, 0, 0] == 0


def test_fractional_values_are_counted_and_shown() -> None:
    raw = np.zeros((4, 4, 4), np.float32)
    raw[0, 0, :3] = [1.5, 2.0, 0.25]
    with pytest.raises(SegmentationError) as caught:
        seg_to_canonical(raw, LABEL_CONVENTIONS[Release.BRATS2021], SEG)
    assert "in 2 voxels" in str(caught.value) and caught.value.actual == "0.25, 1.5"


def test_unknown_labels_negative_large_and_the_2024_hint() -> None:
    convention = LABEL_CONVENTIONS[Release.BRATS2021]
    for bad in (3, -1, 300):
        raw = np.zeros((4, 4, 4), np.int16)
        raw[1, 2, 3] = bad
        with pytest.raises(SegmentationError, match=f"unknown label\\(s\\) {bad} "):
            seg_to_canonical(raw, convention, SEG, Release.BRATS2021)
    raw = np.full((2, 2, 2), 4, np.uint8)
    with pytest.raises(SegmentationError) as caught:
        seg_to_canonical(raw, LABEL_CONVENTIONS[Release.BRATS2023], SEG, Release.BRATS2023)
    assert "--release brats2024" in str(caught.value)
    assert caught.value.expected == [0, 1, 2, 3] and caught.value.actual == [4]


def _headers(tmp_path: Path, shifts: dict[str, float]) -> CaseCheck:
    check = CaseCheck("c")
    for kind in MODALITIES:
        affine = np.eye(4)
        affine[0, 3] = shifts.get(kind, 0.0)
        path = save_volume(tmp_path / f"{kind}.nii", np.ones((4, 4, 4), np.int16), affine)
        check.headers[kind] = read_header(path)
    return check


def test_odd_file_out_is_reported_with_the_size_of_the_difference(tmp_path: Path) -> None:
    check = _headers(tmp_path, {"t1": 0.75})
    assert reference_kind(check.headers) == "t1ce"
    check_geometry(check)
    [problem] = check.problems
    assert problem.file.name == "t1.nii" and "by up to 0.75 " in problem.problem


def test_tiny_float_noise_is_tolerated(tmp_path: Path) -> None:
    check = _headers(tmp_path, {"t2": 1e-5})
    check_geometry(check)
    assert check.ok and check.problems == []


def test_check_collects_every_problem_and_keeps_volumes(tmp_path: Path) -> None:
    folder = write_case(tmp_path, Release.BRATS2021, "BraTS2021_00001")
    files = case_files(Release.BRATS2021, folder)
    array, affine = read_back(files["t2"])
    save_volume(files["t2"], array[:, :, :-2], affine)
    files["flair"].write_bytes(b"")
    convention = LABEL_CONVENTIONS[Release.BRATS2021]
    check = check_case_files("BraTS2021_00001", files, Release.BRATS2021, convention,
                             deep=True, keep=True)
    assert [type(e).__name__ for e in check.errors] == ["VolumeReadError", "GeometryMismatchError"]
    assert sorted(check.volumes) == ["seg", "t1", "t1ce", "t2"]
    assert check.seg is not None and set(np.unique(check.seg)) <= {0, 1, 2, 3}
