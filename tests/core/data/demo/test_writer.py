"""Writing demo cases the way each BraTS release ships them."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from lrpstudio.core.data.demo.writer import (
    DEMO_LAYOUTS, brats_affine, case_folder, demo_case_id, nifti_gz_bytes, to_release_labels,
)
from lrpstudio.core.data.layouts import CASE_NAME_PATTERNS, LABEL_CONVENTIONS, Release
from lrpstudio.core.errors import DemoDataError


def test_brats_affine_is_what_brats_headers_hold() -> None:
    expected = np.array([[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]], float)
    np.testing.assert_array_equal(brats_affine((240, 240, 155)), expected)
    assert nib.aff2axcodes(expected) == ("L", "P", "S")
    assert brats_affine((48, 40, 32))[1, 3] == 39


@pytest.mark.parametrize("layout", DEMO_LAYOUTS)
def test_case_ids_match_the_release_pattern(layout: Release) -> None:
    ids = [demo_case_id(layout, i) for i in (1, 7, 999)]
    assert len(set(ids)) == 3
    for case_id in ids:
        assert re.match(CASE_NAME_PATTERNS[layout], case_id), case_id


def test_no_demo_layout_for_2024() -> None:
    with pytest.raises(DemoDataError):
        demo_case_id(Release.BRATS2024, 1)


def test_2019_cases_live_in_grade_folders(tmp_path: Path) -> None:
    assert case_folder(tmp_path, Release.BRATS2019, "Brats19_DEMO_001_1", "LGG") == \
        tmp_path / "LGG" / "Brats19_DEMO_001_1"
    folder = case_folder(tmp_path, Release.BRATS2021, "BraTS2021_00001", "LGG")
    assert folder == tmp_path / "BraTS2021_00001"


@pytest.mark.parametrize("layout, enhancing", [(Release.BRATS2019, 4), (Release.BRATS2020, 4),
                                               (Release.BRATS2021, 4), (Release.BRATS2023, 3)])
def test_labels_are_written_in_the_release_convention(layout: Release, enhancing: int) -> None:
    canonical = np.array([0, 1, 2, 3, 3, 0], np.uint8)
    written = to_release_labels(canonical, layout)
    np.testing.assert_array_equal(written, [0, 1, 2, enhancing, enhancing, 0])
    # and reading them back with the release's own mapping gives the canonical labels
    back = np.array([LABEL_CONVENTIONS[layout].mapping[int(v)] for v in written])
    np.testing.assert_array_equal(back, canonical)


def test_nifti_bytes_round_trip_with_dtype_affine_and_codes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    volume = rng.integers(-5, 3000, (12, 10, 8)).astype(np.int16)
    data = nifti_gz_bytes(volume, brats_affine(volume.shape))
    assert data == nifti_gz_bytes(volume, brats_affine(volume.shape))  # byte-identical
    assert gzip.decompress(data)[:4] == (348).to_bytes(4, "little")  # a NIfTI-1 header
    path = tmp_path / "x.nii.gz"
    path.write_bytes(data)
    image = nib.load(path)
    assert image.get_data_dtype() == np.int16
    np.testing.assert_array_equal(np.asarray(image.dataobj), volume)
    np.testing.assert_array_equal(image.affine, brats_affine(volume.shape))
    assert int(image.header["sform_code"]) == 1 and int(image.header["qform_code"]) == 1
    assert image.header.get_xyzt_units()[0] == "mm"
