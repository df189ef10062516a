"""The montage PNG of a demo set."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest

from lrpstudio.core.data.demo import DemoConfig, generate_demo, render_montage
from lrpstudio.core.data.demo.montage import pick_rows
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.errors import DemoDataError


def _record(case_id: str, grade: str, a: float, shortcut: bool) -> dict:
    return {"id": case_id, "grade": grade, "tumour": {"aggressiveness": a},
            "shortcut": {"present": shortcut}}


def test_pick_rows_shows_typical_cases_of_both_grades_and_the_shortcut() -> None:
    records = [_record("h1", "HGG", 0.5, True), _record("h2", "HGG", 0.9, True),
               _record("h3", "HGG", 0.8, False), _record("l1", "LGG", 0.4, False),
               _record("l2", "LGG", 0.1, False), _record("l3", "LGG", 0.2, False)]
    assert [r["id"] for r in pick_rows(records, 4)] == ["h2", "h3", "l2", "l3"]
    assert [r["id"] for r in pick_rows(records, 5)] == ["h2", "h3", "l2", "l3", "h1"]
    only_hgg = [r for r in records if r["grade"] == "HGG"]
    assert len(pick_rows(only_hgg, 4)) == 3


def test_render_montage_writes_a_png(tmp_path: Path) -> None:
    root = generate_demo(tmp_path / "demo", DemoConfig(cases=4, seed=1, layout=Release.BRATS2023,
                                                       shape=(64, 64, 40), workers=1))
    out = render_montage(root, tmp_path / "docs" / "montage.png", rows=3)
    image = matplotlib.image.imread(out)
    assert image.ndim == 3 and image.shape[1] > image.shape[0] / 2 and image.shape[0] > 300
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_render_montage_refuses_a_folder_that_is_not_a_demo_set(tmp_path: Path) -> None:
    with pytest.raises(DemoDataError):
        render_montage(tmp_path, tmp_path / "x.png")
