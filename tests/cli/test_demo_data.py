"""``lrpstudio demo-data``: writes a set, refuses foreign folders, replaces its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.demo import MARKER_FILE, DemoConfig, generate_demo, read_marker
from lrpstudio.core.errors import CancelledError

TINY = ["--shape", "48", "48", "32", "--jobs", "1"]


def test_writes_a_set_and_prints_a_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "demo"
    rc = main(["demo-data", str(out), "--cases", "3", "--seed", "4", "--layout", "brats2021",
               "--shortcut", "1", "--json", *TINY])
    captured = capsys.readouterr()
    assert rc == 0
    info = json.loads(captured.out)
    assert info["cases"] == 3 and info["hgg"] + info["lgg"] == 3
    assert info["with_shortcut"] == info["hgg"]  # S = 1: exactly the HGG cases
    assert info["config"]["layout"] == "brats2021" and info["previous"] == "new"
    assert (out / "grades.csv").is_file() and (out / MARKER_FILE).is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "BraTS2021_00001", "BraTS2021_00002", "BraTS2021_00003"]


def test_refuses_a_foreign_folder_without_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "patient.nii.gz").write_bytes(b"precious")
    rc = main(["demo-data", str(out), "--cases", "1", *TINY])
    err = capsys.readouterr().err
    assert rc == 2
    assert str(out) in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in out.iterdir()] == ["patient.nii.gz"]
    assert main(["demo-data", str(out), "--cases", "1", "--force", *TINY]) == 0
    assert (out / "patient.nii.gz").read_bytes() == b"precious"
    assert read_marker(out) is not None


def test_replaces_a_previous_demo_set_without_leftovers(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--cases", "3", "--layout", "brats2019", *TINY]) == 0
    capsys.readouterr()
    assert main(["demo-data", str(out), "--cases", "2", "--layout", "brats2020", "--json", *TINY]) == 0
    assert json.loads(capsys.readouterr().out)["previous"] == "replaced"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["BraTS20_Training_001", "BraTS20_Training_002", MARKER_FILE, "name_mapping.csv"]


def test_an_interrupted_run_is_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with pytest.raises(CancelledError):
        generate_demo(out, DemoConfig(cases=3, shape=(48, 48, 32), workers=1),
                      progress=lambda *a: None, cancel=iter([False, True]).__next__)
    assert read_marker(out)["complete"] is False and (out / "BraTS20_Training_001").is_dir()
    (out / "mine.txt").write_text("keep")
    assert main(["demo-data", str(out), "--cases", "1", "--layout", "brats2021", *TINY]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "BraTS2021_00001", "grades.csv", MARKER_FILE, "mine.txt"]


@pytest.mark.parametrize("bad", [["--shortcut", "2"], ["--cases", "0"], ["--shape", "8", "8", "8"]])
def test_bad_options_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                          bad: list) -> None:
    rc = main(["demo-data", str(tmp_path / "x"), *bad])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("lrpstudio demo-data: error:")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo-data", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "--shortcut" in text and "lrpstudio demo-data" in text
