"""Slices pinned by the user: the workspace store, the config field and the engine's choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.errors import InputError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.pinned import PinnedSlices, pinned_pool, user_rows
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.user_pins import PINS_FILE, add_pin, read_pins, remove_pin
from tests.core.train.factory import tiny_dataset


def test_pin_store_round_trip(tmp_path: Path) -> None:
    assert read_pins(tmp_path) == ()
    assert add_pin(tmp_path, "case01", 61)
    assert add_pin(tmp_path, "case00", 60)
    assert not add_pin(tmp_path, "case01", 61), "a second pin of the same slice is a no-op"
    assert read_pins(tmp_path) == (("case01", 61), ("case00", 60))
    record = json.loads((tmp_path / PINS_FILE).read_text())
    assert record == {"pins": [{"case": "case01", "slice": 61}, {"case": "case00", "slice": 60}]}
    assert remove_pin(tmp_path, "case01", 61) and not remove_pin(tmp_path, "case01", 61)
    assert read_pins(tmp_path) == (("case00", 60),)
    assert not list(tmp_path.glob("*.tmp*")), "written atomically, no temporary left"


def test_config_round_trip_with_pins() -> None:
    config = TrainConfig(pinned_slices=(("case01", 61), ("case07", 60)))
    data = json.loads(json.dumps(config.to_dict()))
    assert data["pinned_slices"] == [["case01", 61], ["case07", 60]]
    assert TrainConfig.from_dict(data) == config
    old = {k: v for k, v in TrainConfig().to_dict().items() if k != "pinned_slices"}
    assert TrainConfig.from_dict(old).pinned_slices == ()
    with pytest.raises(InputError):
        TrainConfig(pinned_slices=(("case01",),))


def test_user_pins_come_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dataset = tiny_dataset(n_cases=10, slices_per_case=4, size=16)
    val = dataset.subset("val")
    # case01 is a training case: pins come from any split; case99 is not in the dataset.
    pins = (("case01", 62), ("case99", 60), ("case09", 61))
    config = TrainConfig(pinned=3, seed=2, pinned_slices=pins)
    folder = RunFolder(tmp_path / "run")
    folder.heatmap_dir.mkdir(parents=True)
    with caplog.at_level("INFO"):
        pinned = PinnedSlices.choose(val, config, folder, dataset)
    assert "case99 z60" in caplog.text
    titles = [(str(dataset.case_ids[r]), int(dataset.slice_index[r])) for r in pinned.rows]
    assert titles[:2] == [("case01", 62), ("case09", 61)]
    assert len(titles) == 3 and len(set(titles)) == 3
    assert titles[2][0] in set(val.case_ids), "then the seeded validation slices"
    assert pinned.pool == "all" and pinned_pool(folder.root) == "all"
    record = folder.read_pinned()
    assert record is not None and [(s.case, s.slice) for s in record.slices] == titles
    # A resumed run reuses the recorded rows of the whole dataset.
    again = PinnedSlices.choose(val, config, folder, dataset)
    assert again.dataset is dataset and np.array_equal(again.rows, pinned.rows)
    assert user_rows(dataset, ()) == []


def test_without_user_pins_the_choice_is_unchanged(tmp_path: Path) -> None:
    dataset = tiny_dataset(n_cases=10, slices_per_case=4, size=16)
    val = dataset.subset("val")
    config = TrainConfig(pinned=2, seed=2)
    folder = RunFolder(tmp_path / "run")
    folder.heatmap_dir.mkdir(parents=True)
    pinned = PinnedSlices.choose(val, config, folder, dataset)
    assert pinned.dataset is val and pinned.pool == "val" and len(pinned.rows) == 2
    assert pinned_pool(folder.root) == "val"


def test_unreadable_pin_list_names_the_file(tmp_path) -> None:
    import pytest

    from lrpstudio.core.errors import InputError
    from lrpstudio.core.train.user_pins import pins_path, read_pins

    pins_path(tmp_path).write_text("{not json")
    with pytest.raises(InputError, match="unreadable pin list") as info:
        read_pins(tmp_path)
    assert str(pins_path(tmp_path)) in str(info.value)
