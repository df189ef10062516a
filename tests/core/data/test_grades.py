"""Grade tables: case,grade CSVs, BraTS 2020's name_mapping.csv, folder grades."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrpstudio.core.data.grades import (
    find_grade_tables,
    grade_from_folder,
    merge_tables,
    normalise_grade,
    read_grades_csv,
    read_name_mapping,
)
from lrpstudio.core.errors import GradeError


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_case_grade_csv_with_header_blank_and_case_variants(tmp_path: Path) -> None:
    table = read_grades_csv(_write(tmp_path / "g.csv", "case,grade\nA,HGG\nB, lgg \nC,\nD,NA\n"))
    assert dict(table.grades) == {"A": "HGG", "B": "LGG"}
    assert table.unlabelled == {"C", "D"}
    assert table.get("C") is None and "C" in table and "Z" not in table


def test_csv_without_header_with_semicolons_and_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "X;HGG\nY;LGG\n", encoding="utf-8-sig")
    assert dict(read_grades_csv(path).grades) == {"X": "HGG", "Y": "LGG"}


def test_columns_found_by_name_in_any_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "grade,age,subject_id\nLGG,40,P1\nHGG,61,P2\n")
    assert dict(read_grades_csv(path).grades) == {"P1": "LGG", "P2": "HGG"}


def test_bad_grade_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "case,grade\nA,HGG\nB,grade IV\n")
    with pytest.raises(GradeError) as caught:
        read_grades_csv(path)
    assert caught.value.path == path and "line 3" in str(caught.value)
    assert "grade IV" in str(caught.value)


def test_conflicting_duplicate_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "case,grade\nA,HGG\nA,LGG\n")
    with pytest.raises(GradeError, match="line 3.*twice"):
        read_grades_csv(path)
    same = _write(tmp_path / "same.csv", "case,grade\nA,HGG\nA,hgg\n")
    assert dict(read_grades_csv(same).grades) == {"A": "HGG"}


def test_missing_empty_and_short_rows(tmp_path: Path) -> None:
    with pytest.raises(GradeError, match="does not exist"):
        read_grades_csv(tmp_path / "absent.csv")
    with pytest.raises(GradeError, match="empty"):
        read_grades_csv(_write(tmp_path / "e.csv", "\n"))
    with pytest.raises(GradeError, match="line 2"):
        read_grades_csv(_write(tmp_path / "s.csv", "case,grade\nA\n"))


def test_name_mapping_2020(tmp_path: Path) -> None:
    text = ("Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,TCGA_TCIA_subject_ID,"
            "BraTS_2019_subject_ID,BraTS_2020_subject_ID\n"
            "HGG,Brats17_CBICA_AAB_1,Brats18_CBICA_AAB_1,NA,BraTS19_CBICA_AAB_1,BraTS20_Training_001\n"
            "LGG,NA,NA,TCGA-CS-4942,BraTS19_TCIA10_130_1,BraTS20_Training_260\n")
    table = read_name_mapping(_write(tmp_path / "name_mapping.csv", text))
    assert table is not None
    assert dict(table.grades) == {"BraTS20_Training_001": "HGG", "BraTS20_Training_260": "LGG"}
    no_grade = _write(tmp_path / "val.csv", "BraTS_2020_subject_ID\nBraTS20_Validation_001\n")
    assert read_name_mapping(no_grade) is None


def test_tables_found_in_root_and_merged(tmp_path: Path) -> None:
    _write(tmp_path / "grades.csv", "case,grade\nA,HGG\nB,LGG\n")
    sub = tmp_path / "MICCAI_BraTS2020_TrainingData"
    sub.mkdir()
    _write(sub / "name_mapping.csv", "Grade,BraTS_2020_subject_ID\nLGG,A\nHGG,C\n")
    tables = find_grade_tables(tmp_path)
    assert [t.source.name for t in tables] == ["name_mapping.csv", "grades.csv"]
    merged = merge_tables(tables)
    assert dict(merged.grades) == {"A": "HGG", "B": "LGG", "C": "HGG"}  # grades.csv wins


def test_folder_and_cell_normalisation() -> None:
    assert grade_from_folder("HGG") == "HGG" and grade_from_folder("lgg") == "LGG"
    assert grade_from_folder("BraTS2021_00001") is None
    assert normalise_grade(" Hgg ") == "HGG" and normalise_grade("unknown") is None
    with pytest.raises(GradeError):
        normalise_grade("GBM")
