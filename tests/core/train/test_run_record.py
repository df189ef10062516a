"""Run folders validated on read: every piece of the broken-run corpus is one named problem
for evaluate and resume (the Runs table's rows: tests/gui/test_run_table.py); a training
run killed mid-write loses nothing and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpstudio.core.errors import CheckpointError, LrpStudioError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_logs import check_run_folder, read_events
from tests.core.train.broken_runs import CORPUS, damaged_copy, make_tiny_run, reported_path
from tests.core.train.factory import tiny_dataset
from tests.os_faults import kill_when_ready, python_child


@pytest.fixture(scope="module")
def small():
    return tiny_dataset(n_cases=8, slices_per_case=2, size=32)


@pytest.fixture(scope="module")
def run(small, tmp_path_factory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("record") / "run", small)


def _one_line(error: LrpStudioError, path: Path, says: str) -> None:
    message = str(error)
    assert "\n" not in message and error.exit_code == 2, message
    assert message.startswith(f"{path}:"), message
    assert says in message, message


def test_the_intact_run_reads(run) -> None:
    record = check_run_folder(run, for_resume=True)
    assert record.version == 1 and len(RunFolder(run).read_metrics()) == 1
    load_run_model(run)


@pytest.mark.parametrize("name", sorted(n for n, d in CORPUS.items() if "evaluate" in d.refused_by))
def test_evaluate_and_explain_name_the_damage(run, name, tmp_path) -> None:
    broken = damaged_copy(run, name, tmp_path / "run")
    with pytest.raises(LrpStudioError) as info:
        load_run_model(broken)
    _one_line(info.value, reported_path(broken, name, "evaluate"), CORPUS[name].says)


@pytest.mark.parametrize("name", sorted(n for n, d in CORPUS.items() if "resume" in d.refused_by))
def test_resume_names_the_damage_and_changes_nothing(run, small, name, tmp_path) -> None:
    broken = damaged_copy(run, name, tmp_path / "run")
    before = {p: p.read_bytes() for p in broken.rglob("*") if p.is_file()}
    with pytest.raises(LrpStudioError) as info:
        fit(TrainConfig(epochs=2, batch_size=8, pinned=1, seed=1, eval_batch_size=16), small,
            run_dir=broken, resume=True)
    _one_line(info.value, reported_path(broken, name, "resume"), CORPUS[name].says)
    assert {p: p.read_bytes() for p in broken.rglob("*") if p.is_file()} == before


def test_a_line_torn_by_a_killed_writer_is_ignored_then_cut_before_the_next(tmp_path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.create()
    folder.log_event("start", message="go")
    with folder.events_path.open("ab") as handle:
        handle.write(b'{"time": "2026-01-01T00:00:00", "event": "ba')  # the writer died here
    assert [e["event"] for e in read_events(folder.events_path)] == ["start"]
    RunFolder(folder.root).log_event("end", message="done")  # e.g. the resumed run
    assert [e["event"] for e in read_events(folder.events_path)] == ["start", "end"]


def test_an_oversized_csv_cell_is_one_line(tmp_path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.create()
    folder.metrics_path.write_text("epoch,note\n1,\"" + "x" * 200_000 + "\"\n")
    with pytest.raises(CheckpointError) as info:
        folder.read_metrics()
    _one_line(info.value, folder.metrics_path, "not a CSV table")


_STALL_SECOND_SAVE = """
import pathlib, time
import lrpstudio.core.models.checkpoints as c
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from tests.core.train.factory import tiny_dataset
marker, plain, saves = pathlib.Path({marker!r}), c.save_checkpoint, []
def stall(path, payload):
    saves.append(path)
    if payload["epoch"] < 2:
        return plain(path, payload)
    def half(handle):
        handle.write(b"PK half a checkpoint"); handle.flush(); marker.touch(); time.sleep(600)
    return c.atomic_write(path, half)
c.save_checkpoint = stall
import lrpstudio.core.train.checkpoint_record as s
s.save_checkpoint = stall
fit(TrainConfig(epochs=2, batch_size=8, pinned=1, seed=1, eval_batch_size=16),
    tiny_dataset(n_cases=8, slices_per_case=2, size=32), run_dir={run!r})
"""


def test_training_killed_while_saving_a_checkpoint_loses_nothing_and_resumes(small, tmp_path) -> None:
    run_dir = tmp_path / "run"
    kill_when_ready(python_child(_STALL_SECOND_SAVE.format(marker=str(tmp_path / "m"), run=str(run_dir))),
                    tmp_path / "m")
    check_run_folder(run_dir, for_resume=True)  # every record still reads
    model, _, checkpoint = load_run_model(run_dir, "last")
    assert checkpoint.epoch == 1
    assert any(p.name.endswith(".tmp") for p in (run_dir / "checkpoints").iterdir())
    result = fit(TrainConfig(epochs=2, batch_size=8, pinned=1, seed=1, eval_batch_size=16), small,
                 run_dir=run_dir, resume=True)
    assert result.epochs_done == 2 and len(RunFolder(run_dir).read_metrics()) == 2
    assert not any(p.name.endswith(".tmp") for p in (run_dir / "checkpoints").iterdir())
    assert json.loads((run_dir / "config.json").read_text())["train"]["epochs"] == 2
