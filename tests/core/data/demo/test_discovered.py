"""Demo sets are found by discovery: every layout, the right grades and release, no problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrpstudio.core.data.demo import DemoConfig, generate_demo, read_marker
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, Release


@pytest.mark.parametrize("layout", [Release.BRATS2019, Release.BRATS2020, Release.BRATS2021,
                                    Release.BRATS2023])
def test_discovery_finds_every_demo_case_with_its_grade(tmp_path: Path, layout: Release) -> None:
    root = generate_demo(tmp_path / layout.value,
                         DemoConfig(cases=3, seed=2, layout=layout, shape=(48, 48, 32), workers=1))
    cases, problems = discover(root, deep=True)
    assert problems == []
    expected = {r["id"]: r["grade"] for r in read_marker(root)["cases"]}
    assert {c.id: c.grade for c in cases} == expected
    assert {"HGG", "LGG"} <= set(expected.values())
    for case in cases:
        assert case.release is layout
        assert case.label_convention == LABEL_CONVENTIONS[layout].name
        assert set(case.files) == {"t1", "t1ce", "t2", "flair", "seg"}
