"""``lrpstudio inspect``: table, JSON, exit codes, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.layouts import Release
from tests.brats_factory import (
    DEFECTS,
    case_files,
    default_case_id,
    write_broken_case,
    write_case,
    write_dataset,
)


def _inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_cases_and_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(tmp_path, Release.BRATS2021, n_hgg=1, n_lgg=1)
    write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00009", "nan", grade="HGG")
    write_case(tmp_path, Release.BRATS2021, "BraTS2021_00010")  # no grade
    code, out, _ = _inspect(capsys, str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["case", "grade", "release", "labels", "status"]
    rows = {line.split()[0]: line.split() for line in lines[1:5]}
    assert rows["BraTS2021_00001"][1:] == ["HGG", "brats2021", "brats2017-2021", "ok"]
    assert rows["BraTS2021_00002"][1] == "LGG"
    assert rows["BraTS2021_00009"][-1] == "unusable"
    assert rows["BraTS2021_00010"][1] == "unlabelled" and out.count("review only") >= 1
    assert "BraTS2021_00009/BraTS2021_00009_t1ce.nii.gz: holds 1 NaN" in out
    assert "4 case(s): 2 ok, 1 review only, 1 unusable" in out


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, defect in enumerate(DEFECTS):
        write_broken_case(tmp_path, Release.BRATS2023, default_case_id(Release.BRATS2023, i),
                          defect, grade="LGG")
    code, out, _ = _inspect(capsys, str(tmp_path), "--json")
    report = json.loads(out)
    assert code == 0  # 4d_singleton and the warnings leave usable cases
    assert len(report["cases"]) == len(DEFECTS)
    assert all(set(p) == {"case", "file", "problem", "severity"} for p in report["problems"])
    files = {p["file"] for p in report["problems"]}
    first = default_case_id(Release.BRATS2023, 0)
    assert str(case_files(Release.BRATS2023, tmp_path / first)["flair"]) in files
    assert {c["status"] for c in report["cases"]} == {"ok", "review only", "unusable"}
    case = report["cases"][0]
    assert {"id", "grade", "release", "label_convention", "files", "status"} <= set(case)


def test_exit_2_when_nothing_is_usable_or_data_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", "empty_file")
    code, out, _ = _inspect(capsys, str(tmp_path), "--json")
    assert code == 2 and json.loads(out)["cases"][0]["status"] == "unusable"
    missing = tmp_path / "nope"
    code, out, err = _inspect(capsys, str(missing))
    assert code == 2 and out == ""
    assert err.strip() == f"lrpstudio inspect: error: {missing}: DATA does not exist"


def test_grades_release_quick_and_single_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "post-op"
    folder = write_case(root, Release.BRATS2024, "BraTS-GLI-00001-100")
    grades = tmp_path / "my_grades.csv"
    grades.write_text("case,grade\nBraTS-GLI-00001-100,HGG\n")
    code, out, _ = _inspect(capsys, str(root), "--json", "--grades", str(grades))
    report = json.loads(out)
    assert code == 2 and "--release brats2024" in report["problems"][0]["problem"]
    code, out, _ = _inspect(capsys, str(root), "--json", "--grades", str(grades),
                            "--release", "brats2024")
    report = json.loads(out)
    assert code == 0 and report["problems"] == []
    assert report["cases"][0]["grade"] == "HGG" and report["cases"][0]["release"] == "brats2024"
    code, out, _ = _inspect(capsys, str(root), "--quick", "--json")
    assert code == 0  # headers only: the label values are not read
    code, out, _ = _inspect(capsys, str(case_files(Release.BRATS2024, folder)["t2"]), "--json")
    report = json.loads(out)
    assert code == 0 and list(report["cases"][0]["files"]) == ["t2"]
    bad = tmp_path / "g.csv"
    bad.write_text("case,grade\nx,GBM\n")
    code, _, err = _inspect(capsys, str(root), "--grades", str(bad))
    assert code == 2 and "line 2" in err and str(bad) in err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["inspect", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--grades" in out and "--release" in out
