"""Whole demo sets: layouts on disk, grade tables, determinism, cancel, first-use generation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from lrpstudio.core.data.demo import (
    DEFAULT_DEMO, MARKER_FILE, DemoConfig, case_grades, ensure_demo_data, generate_demo, is_demo_set,
    read_marker, remove_demo_set,
)
from lrpstudio.core.data.demo.writer import DESIGN, brats_affine
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, MODALITIES, Release, case_file_name
from lrpstudio.core.errors import CancelledError, DemoDataError
from lrpstudio.core.paths import demo_data_dir

TINY = (48, 48, 32)


def _config(layout: Release = Release.BRATS2020, cases: int = 3, **kw) -> DemoConfig:
    return DemoConfig(cases=cases, seed=5, layout=layout, shortcut=kw.pop("shortcut", 1.0),
                      shape=TINY, workers=kw.pop("workers", 1), **kw)


def _grades_on_disk(root: Path, layout: Release) -> dict[str, str]:
    if layout is Release.BRATS2019:
        return {p.name: p.parent.name for p in root.glob("*GG/*") if p.is_dir()}
    table = root / ("name_mapping.csv" if layout is Release.BRATS2020 else "grades.csv")
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if layout is Release.BRATS2020:
        return {r["BraTS_2020_subject_ID"]: r["Grade"] for r in rows}
    return {r["case"]: r["grade"] for r in rows}


@pytest.mark.parametrize("layout", [Release.BRATS2019, Release.BRATS2020, Release.BRATS2021,
                                    Release.BRATS2023])
def test_every_layout_is_written_the_release_way(tmp_path: Path, layout: Release) -> None:
    config = _config(layout)
    root = generate_demo(tmp_path / "demo", config)
    marker = read_marker(root)
    assert marker is not None and len(marker["cases"]) == 3
    assert _grades_on_disk(root, layout) == {r["id"]: r["grade"] for r in marker["cases"]}
    assert [r["grade"] for r in marker["cases"]] == case_grades(config)
    allowed = LABEL_CONVENTIONS[layout].allowed_values()
    for record in marker["cases"]:
        folder = root / record["folder"]
        assert folder.name == record["id"]
        names = {p.name for p in folder.iterdir()}
        assert names == {case_file_name(layout, record["id"], k) for k in (*MODALITIES, "seg")}
        seg = nib.load(folder / case_file_name(layout, record["id"], "seg"))
        assert seg.get_data_dtype() == np.uint8
        values = set(np.unique(np.asarray(seg.dataobj)).tolist())
        assert values <= allowed and len(values) >= 3
        for kind in MODALITIES:
            image = nib.load(folder / case_file_name(layout, record["id"], kind))
            assert image.shape == TINY and image.get_data_dtype() == np.int16
            np.testing.assert_array_equal(image.affine, brats_affine(TINY))
            assert int(image.header["sform_code"]) == 1 and int(image.header["qform_code"]) == 1


def test_enhancing_label_value_differs_between_2020_and_2023(tmp_path: Path) -> None:
    seen = {}
    for layout in (Release.BRATS2020, Release.BRATS2023):
        root = generate_demo(tmp_path / layout.value, _config(layout, cases=4, hgg_fraction=1.0))
        values: set[int] = set()
        for record in read_marker(root)["cases"]:
            path = root / record["folder"] / case_file_name(layout, record["id"], "seg")
            values |= set(np.unique(np.asarray(nib.load(path).dataobj)).tolist())
        seen[layout] = values
    assert 4 in seen[Release.BRATS2020] and 3 not in seen[Release.BRATS2020]
    assert 3 in seen[Release.BRATS2023] and 4 not in seen[Release.BRATS2023]


def test_the_marker_records_the_shortcut_and_config(tmp_path: Path) -> None:
    root = generate_demo(tmp_path / "d", _config(cases=4, shortcut=1.0))
    marker = json.loads((root / MARKER_FILE).read_text())
    assert marker["config"]["shortcut"] == 1.0 and marker["config"]["shape"] == list(TINY)
    for record in marker["cases"]:
        assert record["shortcut"]["present"] == (record["grade"] == "HGG")


def test_results_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    serial = generate_demo(tmp_path / "serial", _config(cases=3, workers=1))
    parallel = generate_demo(tmp_path / "parallel", _config(cases=3, workers=2))
    files = sorted(p.relative_to(serial) for p in serial.rglob("*.nii.gz"))
    assert len(files) == 15
    for rel in files:
        assert (serial / rel).read_bytes() == (parallel / rel).read_bytes(), rel


def test_case_grades_are_balanced_and_seeded() -> None:
    grades = case_grades(DEFAULT_DEMO)
    assert grades.count("HGG") == 24 and grades.count("LGG") == 16
    assert grades == case_grades(DEFAULT_DEMO)
    assert grades != case_grades(DemoConfig(seed=1))
    assert sorted(case_grades(DemoConfig(cases=2, hgg_fraction=0.9))) == ["HGG", "LGG"]
    assert case_grades(DemoConfig(cases=3, hgg_fraction=1.0)) == ["HGG"] * 3


@pytest.mark.parametrize("bad", [dict(cases=0), dict(cases=1000), dict(shortcut=1.5),
                                 dict(shortcut=-0.1), dict(layout=Release.BRATS2024),
                                 dict(shape=(8, 8, 8)), dict(hgg_fraction=2.0), dict(workers=0)])
def test_bad_configs_are_refused_with_a_typed_error(bad: dict) -> None:
    with pytest.raises(DemoDataError) as info:
        DemoConfig(**bad)
    assert info.value.exit_code == 2


def test_cancel_stops_before_the_marker(tmp_path: Path) -> None:
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1  # let the first case through

    with pytest.raises(CancelledError):
        generate_demo(tmp_path / "c", _config(cases=3), cancel=cancel)
    assert not is_demo_set(tmp_path / "c")


def test_progress_reports_every_case(tmp_path: Path) -> None:
    seen = []
    generate_demo(tmp_path / "p", _config(cases=3), progress=lambda d, t, m: seen.append((d, t, m)))
    assert [(d, t) for d, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert seen[-1][2] == "BraTS20_Training_003"


def test_ensure_generates_once_and_redoes_an_interrupted_run(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    partial = tmp_path / "demo.partial"
    partial.mkdir()
    (partial / "BraTS20_Training_001").mkdir()  # left by an interrupted generation
    config = _config(cases=2)
    root = ensure_demo_data(folder, config=config)
    assert root == folder and is_demo_set(folder) and not partial.exists()
    stamp = (folder / MARKER_FILE).stat().st_mtime_ns
    calls = []
    assert ensure_demo_data(folder, progress=lambda *a: calls.append(a), config=config) == folder
    assert calls == [] and (folder / MARKER_FILE).stat().st_mtime_ns == stamp


def test_ensure_refuses_a_folder_holding_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(DemoDataError) as info:
        ensure_demo_data(folder, config=_config(cases=1))
    assert "demo" in str(info.value) and (folder / "notes.txt").read_text() == "mine"


def test_ensure_defaults_to_the_user_demo_folder() -> None:
    # conftest points LRPSTUDIO_HOME to a private folder, so this never touches real data
    assert demo_data_dir().name == "demo"
    assert demo_data_dir().parent.name == "data"
    assert demo_data_dir(DESIGN).name == f"demo-v{DESIGN}" and DESIGN >= 2


def test_a_new_design_gets_a_new_builtin_folder_and_leaves_the_old_set(tmp_path: Path) -> None:
    # A set of the first design (no "design" in its marker) stays as it was, with the
    # user's files beside it; the current design's set is its own folder and records it.
    old = generate_demo(demo_data_dir(1), _config(cases=1))
    (old / "notes.txt").write_text("mine")
    new = ensure_demo_data(config=_config(cases=1))
    assert new == demo_data_dir(DESIGN) != old
    assert (old / "notes.txt").read_text() == "mine" and is_demo_set(old)
    assert read_marker(new)["design"] == DESIGN


def test_remove_demo_set_removes_only_what_it_wrote(tmp_path: Path) -> None:
    for layout in (Release.BRATS2019, Release.BRATS2021):
        root = generate_demo(tmp_path / layout.value, _config(layout, cases=3))
        (root / "mine.txt").write_text("keep")
        remove_demo_set(root)
        assert sorted(p.name for p in root.iterdir()) == ["mine.txt"]
    with pytest.raises(DemoDataError):
        remove_demo_set(tmp_path / Release.BRATS2019.value)


def test_cancel_in_parallel_drops_the_queued_cases(tmp_path: Path) -> None:
    done = []

    def progress(d: int, total: int, case_id: str) -> None:
        done.append(case_id)

    with pytest.raises(CancelledError):
        # cases of ~0.3 s: the workers cannot run through the queue before the cancel is seen
        config = DemoConfig(cases=8, seed=1, shape=(96, 96, 64), workers=2)
        generate_demo(tmp_path / "c", config, progress=progress, cancel=lambda: len(done) >= 1)
    written = [p for p in (tmp_path / "c").iterdir() if p.is_dir()]
    assert 1 <= len(written) < 8  # the running cases finish, the queued ones never start
    assert not is_demo_set(tmp_path / "c")


def test_an_interrupted_set_is_marked_incomplete_and_cleaned_by_ensure(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    with pytest.raises(CancelledError):
        generate_demo(folder, _config(cases=3), cancel=iter([False, False, True]).__next__)
    marker = read_marker(folder)
    assert marker["complete"] is False and len(marker["cases"]) == 3  # the plan
    assert not is_demo_set(folder)
    assert ensure_demo_data(folder, config=_config(cases=2)) == folder
    assert is_demo_set(folder)
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [
        "BraTS20_Training_001", "BraTS20_Training_002"]
