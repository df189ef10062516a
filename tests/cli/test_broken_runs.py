"""`evaluate`, `explain` and `train --resume` on broken copies of a real run: exit 2 and one
line naming the damaged file; a full disk while training is one line too."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import load_dataset, save_dataset
from tests.core.train.broken_runs import CORPUS, damaged_copy, make_tiny_run, reported_path
from tests.core.train.factory import tiny_dataset
from tests.os_faults import run_on_small_disk

#: A few of each kind for the slower commands (explain writes a picture, resume loads data).
SAMPLE = ("config-binary", "config-unknown-option", "metrics-nul-lines", "events-null-line",
          "checkpoint-no-weights", "checkpoint-nan-weights", "checkpoint-wrong-keys")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32),
                        tmp_path_factory.mktemp("broken") / "dataset")


@pytest.fixture(scope="module")
def run(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("broken") / "run", load_dataset(data))


def _refused(argv: list[str], path: Path, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after any progress bar
    assert last.startswith("lrpstudio ") and f"error: {path}:" in last and says in last, last


@pytest.mark.parametrize("name", sorted(n for n, d in CORPUS.items() if "evaluate" in d.refused_by))
def test_evaluate_refuses_every_broken_piece(run, data, name, tmp_path, capsys) -> None:
    broken = damaged_copy(run, name, tmp_path / "run")
    _refused(["evaluate", str(broken), "--data", str(data), "--json"],
             reported_path(broken, name, "evaluate"), CORPUS[name].says, capsys)


@pytest.mark.parametrize("name", SAMPLE)
def test_explain_refuses_broken_runs(run, data, name, tmp_path, capsys) -> None:
    broken = damaged_copy(run, name, tmp_path / "run")
    png = tmp_path / "x.png"
    _refused(["explain", str(broken), "--data", str(data), "--case", "case00", "--out", str(png)],
             reported_path(broken, name, "evaluate"), CORPUS[name].says, capsys)
    assert not png.exists()


@pytest.mark.parametrize("name", SAMPLE + ("checkpoint-no-optimizer",))
def test_resume_refuses_broken_runs(run, data, name, tmp_path, capsys) -> None:
    broken = damaged_copy(run, name, tmp_path / "run")
    _refused(["train", str(data), "--resume", str(broken), "--epochs", "2"],
             reported_path(broken, name, "resume"), CORPUS[name].says, capsys)


def test_the_intact_run_still_evaluates(run, data, capsys) -> None:
    assert main(["evaluate", str(run), "--data", str(data), "--json"]) == 0


def test_a_full_disk_while_training_is_one_line(data, tmp_path) -> None:
    disk = tmp_path / "disk"
    code = ("import sys\nfrom lrpstudio.cli.main import main\n"
            f"sys.exit(main(['train', {str(data)!r}, '--out', {str(disk / 'run')!r}, '--epochs', '1', "
            "'--batch-size', '8', '--pinned', '1']))\n")
    done = run_on_small_disk(disk, code, kib=96)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and lines, done.stderr
    assert str(disk / "run") in lines[-1] and "no space left on the device" in lines[-1]
