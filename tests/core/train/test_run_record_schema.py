"""The typed run records (config.json, pinned.json, checkpoints): round trip, old records, newer versions and
typed errors (no training)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.errors import CheckpointError
from lrpstudio.core.train.checkpoint_record import (CHECKPOINT_VERSION, BestEpoch, TrainingCheckpoint,
                                                    read_model_checkpoint, read_training_checkpoint,
                                                    write_training_checkpoint)
from lrpstudio.core.train.config import LEGACY_DEFAULTS, TrainConfig
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_record import (PINNED_POOLS, RUN_RECORD_VERSION, DatasetRecord, PinnedRecord,
                                             PinnedSlice, RunRecord, frozen_json, read_run_record)


def _record() -> RunRecord:
    manifest = {"parameters": {"image_size": 64, "mask": "core", "use_corrections": True},
                "cases": {"b": {"correction": "ws/b_seg.nii.gz"}, "a": {"correction": None},
                          "c": {"corrected": True}}}
    config = TrainConfig(image_size=64, in_channels=3, epochs=3, pinned_slices=(("a", 4),))
    return RunRecord(train=config, dataset=DatasetRecord(
        data_hash="d" * 64, manifest_hash="m" * 64, slices=frozen_json({"train": 10, "val": 4, "test": 4}),
        channels=("t1", "t2", "flair"), image_size=64, manifest=frozen_json(manifest)),
        versions=frozen_json({"lrpstudio": "0.1.0"}), created="2026-01-01T12:00:00+00:00",
        recorded_options=frozenset(config.to_dict()))


def test_a_record_reads_back_as_written(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.create()
    folder.write_config(_record())
    stored = json.loads(folder.config_path.read_text())
    assert stored["record_version"] == RUN_RECORD_VERSION and stored["train"]["pinned_slices"] == [["a", 4]]
    assert folder.read_config() == _record()
    record = folder.read_config()
    assert record.dataset.preparation == PrepareConfig(image_size=64, mask="core", use_corrections=True)
    assert record.dataset.corrections_used == ("b", "c")
    longer = record.with_train(dataclasses.replace(record.train, epochs=5))
    folder.write_config(longer)
    assert folder.read_config().train.epochs == 5 and folder.read_config().dataset == record.dataset


def test_the_record_is_read_only() -> None:
    record = _record()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.train = TrainConfig()  # type: ignore[misc]  # the assignment under test
    with pytest.raises(TypeError):
        record.dataset.manifest["cases"]["a"] = {}  # type: ignore[index]  # a read-only mapping


def test_an_old_record_loads_with_what_such_runs_did(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"train": {"model": "paper", "epochs": 2, "guidance": {"kind": "lrp"}},
                                "dataset": {"data_hash": "x"}}))
    record = read_run_record(path, for_resume=True)
    assert record.version == 1 and record.recorded_options == {"model", "epochs", "guidance"}
    assert record.train.best_metric == LEGACY_DEFAULTS["best_metric"]
    assert record.train.guidance.form == "ratio"  # the paper's loss, before the additive default
    assert record.dataset.channels is None and record.dataset.preparation is None
    assert record.dataset.corrections_used == () and record.created is None


@pytest.mark.parametrize(("data", "problem", "expected"), [
    ({"record_version": RUN_RECORD_VERSION + 1, "train": {}}, "unknown version", f"<= {RUN_RECORD_VERSION}"),
    ({"train": []}, "no train section", "an object"),
    ({"train": {"epochs": "3"}}, "train.epochs has the wrong type", "an integer"),
    ({"train": {"epochs": 0}}, "bad training options", ">= 1"),
    ({"train": {"colour": "red"}}, "bad training options", None),
    ({"train": {}, "dataset": {"slices": {"train": 1.5}}}, "dataset.slices has the wrong type",
     "an object of slice counts"),
    ({"train": {}, "dataset": []}, "dataset has the wrong type", "an object"),
    ({"train": {}, "created": 7}, "created has the wrong type", "a string"),
])
def test_broken_records_name_the_file_and_the_problem(tmp_path: Path, data: object, problem: str,
                                                       expected: str | None) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError) as error:
        read_run_record(path)
    assert error.value.path == path and problem in error.value.problem
    if expected is not None:
        assert expected in str(error.value.expected)


def test_resume_needs_the_data_hash(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"train": {}}))
    assert read_run_record(path).dataset.data_hash is None
    with pytest.raises(CheckpointError, match="does not say which data") as error:
        read_run_record(path, for_resume=True)
    assert error.value.expected == "dataset.data_hash"


def test_the_pinned_record_reads_back_and_names_damage(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.create()
    assert folder.read_pinned() is None  # not pinned yet
    record = PinnedRecord(rows=(4, 1), pool="all", vmax=0.25,
                          slices=(PinnedSlice("c9", 39, 1), PinnedSlice("c1", 7, 0)))
    folder.write_pinned(record)
    assert folder.read_pinned() == record
    old = {"rows": [2], "vmax": None, "slices": [{"case": "c", "slice": 3, "label": 0}]}
    folder.pinned_path.write_text(json.dumps(old))  # recorded before the pool existed
    assert folder.read_pinned() == PinnedRecord(rows=(2,), slices=(PinnedSlice("c", 3, 0),))
    for broken, expected in [("{broken", None), ('{"rows": [-1]}', "a list of integers >= 0"),
                             ('{"pool": "test"}', PINNED_POOLS), ('{"vmax": "big"}', "a number or null"),
                             ('{"slices": [{"case": 1}]}', '{"case": str, "slice": int, "label": int}')]:
        folder.pinned_path.write_text(broken)
        with pytest.raises(CheckpointError, match="cannot read the pinned slices") as error:
            folder.read_pinned()
        assert error.value.path == folder.pinned_path and error.value.expected == expected


def test_a_training_checkpoint_reads_back_typed(tmp_path: Path) -> None:
    rng = {"torch": torch.get_rng_state(), "data": torch.Generator().manual_seed(3).get_state()}
    saved = TrainingCheckpoint(
        weights={"w": torch.ones(2, 3), "b": torch.zeros(2)}, config=TrainConfig(image_size=32, in_channels=3),
        epoch=3, step=12, optimizer={"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1]}]},
        rng=rng, history=({"epoch": 1.0}, {"epoch": 2.0}, {"epoch": 3.0}), best=BestEpoch(2, 0.4, 0.7))
    path = write_training_checkpoint(tmp_path / "last.pt", saved)
    back = read_training_checkpoint(path)
    assert (back.epoch, back.step, back.best, back.history) == (3, 12, BestEpoch(2, 0.4, 0.7), saved.history)
    assert back.config == saved.config and torch.equal(back.weights["w"], saved.weights["w"])
    assert torch.equal(back.rng["data"], rng["data"]) and back.optimizer == saved.optimizer
    model = read_model_checkpoint(path)
    assert model.epoch == 3 and model.config == saved.config and set(model.weights) == {"w", "b"}
    payload = torch.load(path, weights_only=True)
    payload["version"] = CHECKPOINT_VERSION + 1
    torch.save(payload, tmp_path / "newer.pt")
    with pytest.raises(CheckpointError, match="unknown version") as error:
        read_training_checkpoint(tmp_path / "newer.pt")
    assert error.value.path == tmp_path / "newer.pt"
