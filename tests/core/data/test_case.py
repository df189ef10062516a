"""load_case: from a CaseRef, a folder or a single file; arrays, masks and typed errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, MODALITIES, Release
from lrpstudio.core.errors import (
    AmbiguousFilesError,
    GeometryMismatchError,
    InputError,
    InvalidValuesError,
    MissingModalityError,
    SegmentationError,
    VolumeReadError,
)
from tests.brats_factory import (
    case_files,
    default_case_id,
    read_back,
    save_volume,
    write_broken_case,
    write_case,
)


@pytest.mark.parametrize("release", [Release.BRATS2021, Release.BRATS2023])
@pytest.mark.parametrize("ext", [".nii.gz", ".mha"])
def test_loaded_arrays_match_an_independent_reader(tmp_path: Path, release: Release,
                                                   ext: str) -> None:
    cid = default_case_id(release, 1)
    folder = write_case(tmp_path, release, cid, grade="HGG", ext=ext, seed=4)
    [ref], _ = discover(tmp_path)
    case = load_case(ref)
    files = case_files(release, folder, ext)
    assert case.id == cid and case.grade == "HGG" and case.release is release
    assert case.modalities == MODALITIES and case.correction is None and case.problems == []
    for kind in MODALITIES:
        expected, affine = read_back(files[kind])
        assert case.images[kind].dtype == np.int16
        np.testing.assert_array_equal(case.images[kind], expected)
    raw, affine = read_back(files["seg"])
    mapping = LABEL_CONVENTIONS[release].mapping
    np.testing.assert_array_equal(case.seg, np.vectorize(mapping.get)(raw).astype(np.uint8))
    assert case.seg.dtype == np.uint8 and case.shape == raw.shape
    np.testing.assert_allclose(case.affine, affine, atol=1e-5)


def test_masks_follow_their_definitions(tmp_path: Path) -> None:
    write_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", grade="LGG")
    case = load_case(tmp_path / "BraTS2021_00001")
    assert case.grade == "LGG"  # from grades.csv one folder up
    np.testing.assert_array_equal(case.tumor_mask, case.seg > 0)
    any_positive = np.zeros(case.shape, bool)
    for kind in MODALITIES:
        any_positive |= case.images[kind] > 0
    np.testing.assert_array_equal(case.brain_mask, any_positive | case.tumor_mask)
    assert case.tumor_mask.any() and not case.brain_mask.all()
    assert case.usable_for_training


def test_single_volume_with_and_without_mask(tmp_path: Path) -> None:
    folder = write_case(tmp_path, Release.BRATS2021, "BraTS2021_00003")
    files = case_files(Release.BRATS2021, folder)
    case = load_case(files["flair"], mask=files["seg"])
    assert case.id == "BraTS2021_00003" and list(case.images) == ["flair"]
    assert case.release is Release.BRATS2021 and set(np.unique(case.seg)) == {0, 1, 2, 3}
    array, affine = read_back(files["flair"])
    other = save_volume(tmp_path / "scan.nii.gz", array, affine)
    case = load_case(other)
    assert list(case.images) == ["image"] and case.seg is None and case.id == "scan"
    assert case.release is Release.SINGLE and case.problems == []
    assert not case.tumor_mask.any() and case.brain_mask.sum() == (array > 0).sum()
    mask = save_volume(tmp_path / "mask.nii.gz", (array > 500).astype(np.uint8), affine)
    case = load_case(other, mask=mask)
    np.testing.assert_array_equal(case.tumor_mask, array > 500)


def test_single_volume_mask_is_checked(tmp_path: Path) -> None:
    array = np.ones((8, 8, 4), np.int16)
    image = save_volume(tmp_path / "img.nii.gz", array)
    brats_labels = save_volume(tmp_path / "m.nii.gz", np.full((8, 8, 4), 4, np.uint8))
    with pytest.raises(SegmentationError, match="unknown label"):
        load_case(image, mask=brats_labels)
    case = load_case(image, mask=brats_labels, release="brats2021")
    assert case.seg.max() == 3
    small = save_volume(tmp_path / "s.nii.gz", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(GeometryMismatchError):
        load_case(image, mask=small)


@pytest.mark.parametrize(("defect", "error"), [
    ("truncated_gz", VolumeReadError), ("nan", InvalidValuesError),
    ("shape_mismatch", GeometryMismatchError), ("fractional_seg", SegmentationError),
    ("missing_modality", MissingModalityError),
])
def test_errors_are_raised_typed_with_the_file(tmp_path: Path, defect: str, error: type) -> None:
    folder, bad = write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", defect)
    with pytest.raises(error) as caught:
        load_case(folder)
    assert caught.value.path == bad


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    folder, _ = write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", "empty_tumour",
                                  grade="HGG")
    case = load_case(folder)
    assert not case.tumor_mask.any() and not case.usable_for_training
    assert [p.severity for p in case.problems] == ["warning"]
    folder, _ = write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00002", "missing_seg")
    case = load_case(folder)
    assert case.seg is None and "no segmentation" in case.problems[0].problem


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_case(tmp_path / "nothing")
    folder = write_case(tmp_path / "d", Release.BRATS2021, "BraTS2021_00001")
    with pytest.raises(InputError, match="no volume files"):
        load_case(tmp_path / "d")
    with pytest.raises(InputError, match="mask file goes with a single volume"):
        load_case(folder, mask=folder / "x.nii.gz")
    array, affine = read_back(case_files(Release.BRATS2021, folder)["t2"])
    save_volume(case_files(Release.BRATS2021, folder, ".nrrd")["t2"], array, affine)
    with pytest.raises(AmbiguousFilesError, match="2 files for t2"):
        load_case(folder)
