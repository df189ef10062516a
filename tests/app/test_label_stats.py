"""The original mask of a loaded demo case beside a corrected one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.data_source import open_source
from lrpstudio.app.label_stats import case_table, original_seg, voxel_ml
from lrpstudio.core.data.demo import DemoConfig, generate_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stats") / "demo"
    generate_demo(root, DemoConfig(cases=2, seed=3, shape=(32, 32, 16), workers=1))
    return root


def test_original_is_read_from_disk_after_an_edit(demo: Path) -> None:
    source = open_source(demo)
    case = source.load(source.rows()[0])
    assert case.seg is not None and case.seg.any()
    before = case.seg.copy()
    case.seg = np.zeros_like(before)   # as if every tumour voxel had been erased
    original = original_seg(case)
    assert original is not None
    np.testing.assert_array_equal(original, before)
    rows = {row.label: row for row in case_table(case, case.seg, original)}
    whole = rows[0]
    assert whole.voxels_original == int((before > 0).sum()) and whole.voxels_corrected == 0
    assert whole.dice == 0.0
    assert whole.ml_original == pytest.approx(whole.voxels_original * voxel_ml(case.affine))


def test_a_case_without_seg_file_has_no_original(demo: Path) -> None:
    source = open_source(demo)
    case = source.load(source.rows()[1])
    case.files.pop("seg")
    assert original_seg(case) is None
