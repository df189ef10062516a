"""The test factory itself: other test packages rely on what it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.layouts import MODALITIES, Release
from tests.brats_factory import (
    DEFECTS,
    case_files,
    default_case_id,
    make_volumes,
    read_back,
    write_broken_case,
    write_dataset,
)

RELEASE_LABELS = {
    Release.BRATS2019: {0, 1, 2, 4}, Release.BRATS2020: {0, 1, 2, 4},
    Release.BRATS2021: {0, 1, 2, 4}, Release.BRATS2023: {0, 1, 2, 3},
    Release.BRATS2024: {0, 1, 2, 3, 4},
}


@pytest.mark.parametrize("release", list(RELEASE_LABELS))
def test_volumes_use_the_release_labels_and_a_zero_background(release: Release) -> None:
    images, seg = make_volumes(release, grade="HGG", seed=1)
    assert set(np.unique(seg)) == RELEASE_LABELS[release]
    for name in MODALITIES:
        assert images[name].dtype == np.int16 and images[name].shape == (32, 32, 16)
        assert images[name][0, 0, 0] == 0 and (images[name][seg > 0] > 0).all()
    _, lgg = make_volumes(release, grade="LGG", seed=1)
    cavity = {4} if release is Release.BRATS2024 else set()
    assert set(np.unique(lgg)) == {0, 1, 2} | cavity  # no enhancing tumour in LGG
    _, empty = make_volumes(release, tumour=False)
    assert not empty.any()


def test_dataset_records_grades_the_release_way(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", Release.BRATS2019, 1, 1)
    assert (tmp_path / "a" / "HGG" / default_case_id(Release.BRATS2019, 1, "HGG")).is_dir()
    assert (tmp_path / "a" / "LGG" / default_case_id(Release.BRATS2019, 2, "LGG")).is_dir()
    write_dataset(tmp_path / "b", Release.BRATS2020, 1, 1)
    assert "LGG,NA,NA,NA,NA,BraTS20_Training_002" in (tmp_path / "b" / "name_mapping.csv").read_text()
    write_dataset(tmp_path / "c", Release.BRATS2023, 1, 0)
    assert (tmp_path / "c" / "grades.csv").read_text().splitlines() == [
        "case,grade", "BraTS-GLI-00001-000,HGG"]


def test_each_defect_is_really_in_the_files(tmp_path: Path) -> None:
    for i, defect in enumerate(DEFECTS):
        folder, bad = write_broken_case(tmp_path, Release.BRATS2021,
                                        default_case_id(Release.BRATS2021, i), defect)
        files = case_files(Release.BRATS2021, folder)
        if defect in ("missing_modality", "missing_seg"):
            assert not bad.exists()
        elif defect == "empty_file":
            assert bad.stat().st_size == 0
        elif defect == "shape_mismatch":
            assert read_back(bad)[0].shape != read_back(files["t1"])[0].shape
        elif defect == "affine_mismatch":
            assert not np.allclose(read_back(bad)[1], read_back(files["t2"])[1])
        assert bad == files[bad.name.split(".")[0].rsplit("_", 1)[1]]
