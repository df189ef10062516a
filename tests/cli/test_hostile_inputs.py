"""``inspect --json`` and ``prepare`` on a data folder of good and damaged cases.

Each damaged case holds one hostile file (generated, see ``hostile_corpus``). Both
commands must exit normally, agree case by case, keep every good case and flag and
exclude every damaged one, naming its file in one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.layouts import Release, case_file_name
from lrpstudio.core.errors import LrpStudioError
from tests.brats_factory import write_case
from tests.core.data import hostile_corpus as corpus

GOOD = {f"BraTS2021_{i:05d}": grade for i, grade in
        enumerate(["HGG", "HGG", "HGG", "LGG", "LGG", "LGG"], start=1)}
#: case -> (modality to damage, maker, words of its problem)
DAMAGED = {
    "BraTS2021_00101": ("flair", corpus.damaged_stored, "CRC32"),
    "BraTS2021_00102": ("t1", corpus.bad_isize, "length trailer"),
    "BraTS2021_00103": ("t2", corpus.truncated_gz, "truncated"),
    "BraTS2021_00104": ("t1ce", corpus.gzip_bomb, "memory"),
    "BraTS2021_00105": ("flair", corpus.lying_dims_gz, "far too small"),
    "BraTS2021_00106": ("seg", corpus.NIFTI_DEFECTS["dim0_eight"][0], "dim[0]"),
    "BraTS2021_00107": ("t1", corpus.NIFTI_DEFECTS["unknown_datatype"][0], "datatype"),
    "BraTS2021_00108": ("t2", corpus.nan_sform_no_qform, "no usable affine"),
    "BraTS2021_00109": ("t1", corpus.zero_sform_no_qform, "no usable affine"),
    "BraTS2021_00112": ("t1ce", corpus.folder, "not a regular file"),
    "BraTS2021_00113": ("t1", corpus.empty_file, "empty"),
    "BraTS2021_00114": ("seg", corpus.damaged_deflate, "corrupt"),
    **({"BraTS2021_00110": ("flair", corpus.symlink_loop, "symbolic link loop"),
        "BraTS2021_00111": ("t2", corpus.fifo, "named pipe")} if corpus.POSIX else {}),
}


STREAM_DAMAGE = (corpus.damaged_stored, corpus.bad_isize, corpus.truncated_gz,
                 corpus.damaged_deflate)


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-hostile") / "data"
    for seed, (case_id, grade) in enumerate(GOOD.items()):
        write_case(root, Release.BRATS2021, case_id, grade=grade, seed=seed)
    for case_id, (kind, maker, _) in DAMAGED.items():
        write_case(root, Release.BRATS2021, case_id, grade="HGG")
        path = root / case_id / case_file_name(Release.BRATS2021, case_id, kind)
        if maker not in STREAM_DAMAGE:  # those damage the case's own file in place
            path.unlink()
        maker(path)
    return root


def _named(problems: list[dict[str, str]], case_id: str) -> bool:
    kind, _, words = DAMAGED[case_id]
    name = case_file_name(Release.BRATS2021, case_id, kind)
    return any(p["file"] and Path(p["file"]).name == name and words in p["problem"]
               and "\n" not in p["problem"] for p in problems)


def test_inspect_json_flags_every_damaged_case_and_keeps_the_good_ones(
        hostile_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", "--json", str(hostile_data)])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    cases = {case["id"]: case for case in json.loads(out)["cases"]}
    assert set(cases) == set(GOOD) | set(DAMAGED)
    assert all(cases[case_id]["status"] == "ok" for case_id in GOOD)
    for case_id in DAMAGED:
        assert cases[case_id]["status"] == "unusable", case_id
        assert _named(cases[case_id]["problems"], case_id), cases[case_id]["problems"]


def test_prepare_builds_the_good_cases_and_skips_the_damaged(
        hostile_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "ds"
    code = main(["prepare", str(hostile_data), "--out", str(out_dir), "--size", "16",
                 "--jobs", "1", "--no-corrections", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    summary = json.loads(out)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    prepared = {cid for cid, c in manifest["cases"].items() if c["status"] == "prepared"}
    assert prepared == set(GOOD) and summary["cases"] == len(GOOD)
    for case_id in DAMAGED:
        assert manifest["cases"][case_id]["status"] == "skipped"
        assert _named(manifest["cases"][case_id]["problems"], case_id), case_id


def test_load_case_agrees_with_inspect(hostile_data: Path) -> None:
    for case_id in GOOD:
        assert load_case(hostile_data / case_id).usable_for_training
    for case_id, (_, _, _words) in DAMAGED.items():
        with pytest.raises(LrpStudioError) as caught:
            load_case(hostile_data / case_id)
        assert "\n" not in str(caught.value)


def test_text_report_survives_undecodable_file_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    write_case(root, Release.BRATS2021, "BraTS2021_00001", grade="HGG")
    folder = write_case(root, Release.BRATS2021, "BraTS2021_00002", grade="HGG")
    odd = Path((bytes(folder) + b"\xff\xfe").decode("utf-8", "surrogateescape"))
    folder.rename(odd)
    code = main(["inspect", str(root)])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert "BraTS2021_00001" in out and "BraTS2021_00002\\udcff\\udcfe" in out
