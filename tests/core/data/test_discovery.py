"""Discovery: every layout, grades from every source, quirks, and every problem reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.errors import CancelledError, GradeError, InputError
from tests.brats_factory import (
    DEFECTS,
    case_files,
    default_case_id,
    read_back,
    save_volume,
    write_broken_case,
    write_case,
    write_dataset,
)

LAYOUTS = [
    (Release.BRATS2019, "brats2017-2021"),
    (Release.BRATS2020, "brats2017-2021"),
    (Release.BRATS2021, "brats2017-2021"),
    (Release.BRATS2023, "brats2023"),
]


@pytest.mark.parametrize(("release", "convention"), LAYOUTS)
def test_each_layout_lists_cases_grades_and_convention(tmp_path: Path, release: Release,
                                                      convention: str) -> None:
    root = write_dataset(tmp_path / "data", release, n_hgg=2, n_lgg=1)
    cases, problems = discover(root)
    expected = sorted((default_case_id(release, i, g), g)
                      for i, g in enumerate(["HGG", "HGG", "LGG"], start=1))
    assert [(c.id, c.grade) for c in cases] == expected
    assert problems == []
    for case in cases:
        assert case.release is release and case.label_convention == convention
        assert sorted(case.files) == ["flair", "seg", "t1", "t1ce", "t2"]
        assert case.usable_for_training and case.status == "ok"
        assert all(path.parent == case.folder for path in case.files.values())


def test_brats2018_names_in_grade_folders(tmp_path: Path) -> None:
    write_case(tmp_path, Release.BRATS2019, "Brats18_2013_2_1", grade="HGG")
    write_case(tmp_path, Release.BRATS2019, "Brats18_TCIA10_103_1", grade="LGG")
    cases, problems = discover(tmp_path, deep=True)
    assert [(c.id, c.grade, c.release) for c in cases] == [
        ("Brats18_2013_2_1", "HGG", Release.BRATS2019),
        ("Brats18_TCIA10_103_1", "LGG", Release.BRATS2019)]
    assert problems == []


def test_2024_comes_from_root_name_or_option_never_from_values(tmp_path: Path) -> None:
    cid = default_case_id(Release.BRATS2024, 1)
    root24 = tmp_path / "BraTS2024-GLI-Training"
    write_case(root24, Release.BRATS2024, cid, grade="HGG")
    cases, problems = discover(root24, deep=True)
    assert cases[0].release is Release.BRATS2024 and cases[0].label_convention == "brats2024"
    assert problems == []
    plain = tmp_path / "postop"
    shutil.copytree(root24, plain)
    cases, problems = discover(plain, deep=True)
    assert cases[0].release is Release.BRATS2023 and cases[0].status == "unusable"
    [problem] = [p for p in problems if p.case == cid]
    assert "unknown label(s) 4" in problem.problem and "brats2024" in problem.problem
    assert problem.file == case_files(Release.BRATS2023, plain / cid)["seg"]
    cases, problems = discover(plain, release="brats2024", deep=True)
    assert cases[0].release is Release.BRATS2024 and problems == []


def test_root_that_is_one_case_folder_gets_grade_from_parent_table(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", Release.BRATS2021, n_hgg=1, n_lgg=1)
    folder = root / default_case_id(Release.BRATS2021, 2)
    cases, problems = discover(folder)
    assert [(c.id, c.grade) for c in cases] == [(folder.name, "LGG")] and problems == []


def test_junk_is_ignored_quietly(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", Release.BRATS2021, n_hgg=1, n_lgg=0)
    case = root / default_case_id(Release.BRATS2021, 1)
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    (case / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "BraTS2021_Training.zip").write_bytes(b"PK\x03\x04")
    (case / "notes.txt").write_text("reviewed")
    macosx = root / "__MACOSX" / case.name
    macosx.mkdir(parents=True)
    (macosx / f"._{case.name}_t1.nii.gz").write_bytes(b"\x00\x05\x16\x07")
    (root / ".lrpstudio" / "corrections").mkdir(parents=True)
    cases, problems = discover(root, deep=True)
    assert [c.id for c in cases] == [case.name] and problems == []


def test_brats2020_case_355_segmentation_name(tmp_path: Path) -> None:
    cid = "BraTS20_Training_355"
    folder = write_case(tmp_path, Release.BRATS2020, cid, grade="HGG", ext=".nii")
    seg = case_files(Release.BRATS2020, folder, ".nii")["seg"]
    seg.rename(folder / "W39_1998.09.19_Segm.nii")
    [case], problems = discover(tmp_path, deep=True)
    assert case.files["seg"].name == "W39_1998.09.19_Segm.nii" and problems == []


def test_mixed_formats_in_one_case(tmp_path: Path) -> None:
    cid = default_case_id(Release.BRATS2021, 7)
    folder = write_case(tmp_path, Release.BRATS2021, cid, grade="LGG", ext=".nii.gz")
    files = case_files(Release.BRATS2021, folder)
    for kind, ext in (("t1", ".nrrd"), ("t2", ".mha"), ("seg", ".nii")):
        array, affine = read_back(files[kind])
        files[kind].unlink()
        save_volume(case_files(Release.BRATS2021, folder, ext)[kind], array, affine)
    [case], problems = discover(tmp_path, deep=True)
    assert problems == [] and case.files["t1"].suffix == ".nrrd"
    assert case.files["t2"].suffix == ".mha" and case.files["seg"].suffix == ".nii"


def test_explicit_grades_override_and_unmatched_rows_warn(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", Release.BRATS2020, n_hgg=1, n_lgg=1)
    table = tmp_path / "mine.csv"
    table.write_text("case,grade\nBraTS20_Training_001,LGG\nBraTS20_Training_999,HGG\n")
    cases, problems = discover(root, grades=table)
    assert [c.grade for c in cases] == ["LGG", "LGG"]
    [warning] = problems
    assert warning.case is None and warning.file == table and "BraTS20_Training_999" in warning.problem
    bad = tmp_path / "bad.csv"
    bad.write_text("case,grade\nBraTS20_Training_001,maybe\n")
    with pytest.raises(GradeError):
        discover(root, grades=bad)


def test_unlabelled_cases_are_reviewable_not_trainable(tmp_path: Path) -> None:
    for i in (1, 2):
        write_case(tmp_path, Release.BRATS2023, default_case_id(Release.BRATS2023, i))
    cases, problems = discover(tmp_path)
    assert all(c.grade is None and c.usable_for_review and not c.usable_for_training
               for c in cases)
    assert [p.case for p in problems] == [None] and "2 case(s) have no grade" in problems[0].problem
    (tmp_path / "grades.csv").write_text("case,grade\n" + "\n".join(
        f"{c.id},HGG" for c in cases) + "\n")
    cases, problems = discover(tmp_path)
    assert all(c.usable_for_training for c in cases) and problems == []


#: defect -> (kind of the file named, words in the problem, severity)
EXPECTED = {
    "truncated_gz": ("flair", "truncated", "error"),
    "empty_file": ("t1", "empty", "error"),
    "text_file": ("t2", "not a gzip file", "error"),
    "nan": ("t1ce", "NaN", "error"),
    "4d": ("flair", "2 volumes", "error"),
    "shape_mismatch": ("t2", "shape differs", "error"),
    "affine_mismatch": ("t1", "affine differs", "error"),
    "fractional_seg": ("seg", "fractional", "error"),
    "unknown_label": ("seg", "unknown label(s) 7", "error"),
    "missing_modality": ("t1ce", "missing the t1ce image", "error"),
    "missing_seg": ("seg", "no segmentation file", "warning"),
    "empty_tumour": ("seg", "empty tumour", "warning"),
}


def test_broken_corpus_reports_each_defect_with_its_file(tmp_path: Path) -> None:
    ids = {}
    for i, defect in enumerate(DEFECTS):
        cid = default_case_id(Release.BRATS2021, i)
        ids[defect] = cid
        write_broken_case(tmp_path, Release.BRATS2021, cid, defect, grade="HGG")
    cases, problems = discover(tmp_path, deep=True)
    by_id = {c.id: c for c in cases}
    assert len(cases) == len(DEFECTS)
    for defect, (kind, words, severity) in EXPECTED.items():
        case = by_id[ids[defect]]
        [problem] = case.problems
        assert problem.file == case_files(Release.BRATS2021, tmp_path / case.id)[kind], defect
        assert words in problem.problem and problem.severity == severity, defect
        assert case.status == ("unusable" if severity == "error" else "review only")
    assert by_id[ids["4d_singleton"]].status == "ok"
    assert len(problems) == sum(len(c.problems) for c in cases)


def test_every_problem_of_one_case_is_collected(tmp_path: Path) -> None:
    cid = default_case_id(Release.BRATS2021, 1)
    folder, _ = write_broken_case(tmp_path, Release.BRATS2021, cid, "unknown_label", grade="LGG")
    files = case_files(Release.BRATS2021, folder)
    files["t1"].write_bytes(b"")
    array, affine = read_back(files["flair"])
    save_volume(files["flair"], array.astype(np.float32) * np.float32(np.nan), affine)
    [case], problems = discover(tmp_path, deep=True)
    assert {p.file.name for p in case.problems} == {files[k].name for k in ("t1", "flair", "seg")}


def test_header_only_discovery_skips_voxel_checks(tmp_path: Path) -> None:
    cid = default_case_id(Release.BRATS2021, 1)
    write_broken_case(tmp_path, Release.BRATS2021, cid, "unknown_label", grade="HGG")
    write_broken_case(tmp_path, Release.BRATS2021, default_case_id(Release.BRATS2021, 2),
                      "truncated_gz", grade="HGG")
    cases, problems = discover(tmp_path)
    assert [c.status for c in cases] == ["ok", "unusable"]  # truncation shows in headers


def test_duplicates_empty_case_folders_and_stray_folders(tmp_path: Path) -> None:
    cid = default_case_id(Release.BRATS2021, 1)
    folder = write_case(tmp_path, Release.BRATS2021, cid, grade="HGG")
    array, affine = read_back(case_files(Release.BRATS2021, folder)["t1"])
    save_volume(case_files(Release.BRATS2021, folder, ".nii")["t1"], array, affine)
    (tmp_path / "BraTS2021_00002").mkdir()
    stray = tmp_path / "atlas"
    save_volume(stray / "template.nii.gz", array, affine)
    cases, _ = discover(tmp_path)
    by_id = {c.id: c for c in cases}
    assert "2 files for t1" in by_id[cid].problems[0].problem
    assert sum("missing the" in p.problem for p in by_id["BraTS2021_00002"].problems) == 4
    assert "no BraTS-named volume files" in by_id["atlas"].problems[0].problem
    assert all(c.status == "unusable" for c in cases)


def test_progress_cancel_and_missing_root(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", Release.BRATS2021, n_hgg=2, n_lgg=1)
    calls: list[tuple[int, int]] = []
    discover(root, progress=lambda done, total, _: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(CancelledError):
        discover(root, cancel=lambda: True)
    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / "nowhere")
    with pytest.raises(InputError, match="unknown release"):
        discover(root, release="brats1999")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases, problems = discover(empty)
    assert cases == [] and problems[0].problem == "no BraTS cases found"


def test_intermediate_folder_names_release_2024_a_case_number_does_not(tmp_path: Path) -> None:
    nested = tmp_path / "archive" / "BraTS2024_GLI_Training"
    write_case(nested, Release.BRATS2024, "BraTS-GLI-00001-100")
    [case], _ = discover(tmp_path)
    assert case.release is Release.BRATS2024
    plain = tmp_path / "other"
    folder = write_case(plain, Release.BRATS2023, "BraTS-GLI-02024-000")
    assert discover(plain)[0][0].release is Release.BRATS2023
    assert discover(folder)[0][0].release is Release.BRATS2023
