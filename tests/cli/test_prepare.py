"""``lrpstudio prepare`` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.slice_dataset import load_dataset
from tests.brats_factory import write_broken_case, write_dataset

SHAPE = (32, 32, 16)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_dataset(tmp_path_factory.mktemp("cli") / "data", Release.BRATS2020, 3, 2, shape=SHAPE)
    write_broken_case(root, Release.BRATS2020, "BraTS20_Training_099", "truncated_gz",
                      grade="HGG", shape=SHAPE)
    return root


def test_prepare_json_summary(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "ds"
    rc = main(["prepare", str(data), "--out", str(out), "--size", "16", "--channels", "t1ce", "flair",
               "--jobs", "1", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    info = json.loads(captured.out)
    assert info["cases"] == 5 and info["channels"] == ["t1ce", "flair"] and info["image_size"] == 16
    total = {g: sum(info["counts"][s][g] for s in ("train", "val", "test")) for g in ("LGG", "HGG")}
    # 3 HGG / 2 LGG cases: balance auto takes round(15 * 2 / 3) = 10 slices per HGG case.
    assert total == {"LGG": 2 * 15, "HGG": 3 * 10} and info["slices"] == 60
    assert info["balance"]["slices_per_case"]["HGG"]["count"] == 10
    assert [p["case"] for p in info["skipped"]] == ["BraTS20_Training_099"]
    assert info["skipped"][0]["file"].endswith("BraTS20_Training_099_flair.nii.gz")
    dataset = load_dataset(out)
    assert dataset.images.shape == (60, 2, 16, 16)
    # Second run: everything reused.
    assert main(["prepare", str(data), "--out", str(out), "--size", "16", "--channels", "t1ce",
                 "flair", "--jobs", "1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["last_run"]["extracted"] == [] and len(again["last_run"]["reused"]) == 5
    assert again["last_run"]["skipped"] == ["BraTS20_Training_099"]


def test_prepare_text_summary(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc = main(["prepare", str(data), "--out", str(tmp_path / "ds"), "--size", "16", "--seed", "2",
               "--no-corrections", "--jobs", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "prepared 5 cases, 60 slices of 16x16 (t1 t2 flair)" in out
    assert "balance auto: LGG 15 slices/case (1 apart, 2 cases), HGG 10 slices/case" in out
    assert "skipped BraTS20_Training_099:" in out and "train" in out and "HGG" in out


def test_prepare_fixed_counts_warn_about_imbalance(data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    """The authors' fixed counts on 3 HGG / 2 LGG: 15 HGG vs 30 LGG slices, said out loud."""
    rc = main(["prepare", str(data), "--out", str(tmp_path / "ds"), "--size", "16", "--jobs", "1",
               "--hgg-slices", "5", "3", "--lgg-slices", "15", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "prepared 5 cases, 45 slices" in out and "balance fixed" in out
    assert "warning:" in out and "imbalanced" in out and "are LGG" in out
    assert main(["prepare", str(data), "--out", str(tmp_path / "x"), "--balance", "auto",
                 "--hgg-slices", "5", "3"]) == 2
    assert "--balance fixed" in capsys.readouterr().err


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope"
    assert main(["prepare", str(missing), "--out", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0]


def test_bad_split_exit_2(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["prepare", str(data), "--out", str(tmp_path / "ds"), "--split", "0.5", "0.5",
                 "0.5"]) == 2
    assert "split" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main(["prepare", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "--no-corrections" in text and "--grades" in text
