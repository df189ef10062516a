"""Queue state and artefact regions stored in the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.workspace import open_workspace
from lrpstudio.core.errors import InputError, WorkspacePathError
from lrpstudio.core.review.verdicts import (
    ArtefactRegionError, ArtefactStore, EntryState, QueueStateStore,
)

SHAPE = (12, 10, 8)


def test_queue_state_round_trip_per_run_and_key(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    store = QueueStateStore(ws)
    assert store.get("run-a", "c1:3") == EntryState("open", None, "")
    stored = store.set("run-a", "c1:3", "done", "artefact")
    store.set("run-a", "c2:5", "skipped")
    store.set("run-b", "c1:3", "done", "fine")
    again = QueueStateStore(open_workspace(tmp_path / "ws"))
    assert again.get("run-a", "c1:3") == stored and stored.verdict == "artefact" and stored.when
    assert again.get("run-b", "c1:3").verdict == "fine"
    assert set(again.all("run-a")) == {"c1:3", "c2:5"}
    assert again.all("run-a")["c2:5"].state == "skipped"
    assert again.all("nothing") == {}


def test_queue_state_refuses_unknown_values_and_names_a_damaged_file(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    store = QueueStateStore(ws)
    with pytest.raises(InputError, match="unknown review state"):
        store.set("r", "k", "finished")
    with pytest.raises(InputError, match="unknown verdict"):
        store.set("r", "k", "done", "maybe")
    store.set("r", "k", "done", "fine")
    store.path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InputError) as error:
        store.get("r", "k")
    assert "queue_state.json" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InputError):
        store.set("r", "k", "open")  # never overwrites what it cannot read
    assert store.path.read_text(encoding="utf-8") == "{ not json"


def _plane(*points: tuple[int, int]) -> np.ndarray:
    plane = np.zeros(SHAPE[:2], dtype=bool)
    for i, j in points:
        plane[i, j] = True
    return plane


def test_artefact_regions_accumulate_per_case_and_are_compact(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    store = ArtefactStore(ws)
    assert store.mask("c1") is None and store.cases() == []
    assert store.add("c1", 3, _plane((1, 2), (4, 5)), SHAPE, "run-a") == 2
    assert store.add("c1", 3, _plane((4, 5), (6, 6)), SHAPE, "run-a") == 3  # union
    assert store.add("c1", 6, _plane((0, 0)), SHAPE, "run-b") == 4
    store.add("c2", 0, _plane((11, 9)), SHAPE, "run-a")
    mask = ArtefactStore(open_workspace(tmp_path / "ws")).mask("c1")
    assert mask is not None and mask.shape == SHAPE and mask.dtype == bool
    assert {tuple(int(v) for v in p) for p in np.argwhere(mask)} == {
        (1, 2, 3), (4, 5, 3), (6, 6, 3), (0, 0, 6)}
    assert store.cases() == ["c1", "c2"]
    parts = store.parts("c1")
    assert [(p["z"], p["source"], p["voxels"]) for p in parts] == [
        (3, "run-a", 2), (3, "run-a", 1), (6, "run-b", 1)]
    assert store.path("c1").stat().st_size < 2000  # voxel indices, not a dense volume
    store.clear("c1")
    assert store.mask("c1") is None and store.cases() == ["c2"] and store.parts("c1") == []


def test_a_damaged_or_mismatched_region_fails_for_its_case_only(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    store = ArtefactStore(ws)
    store.add("bad", 1, _plane((1, 1)), SHAPE, "r")
    store.add("good", 1, _plane((2, 2)), SHAPE, "r")
    store.path("bad").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ArtefactRegionError) as error:
        store.mask("bad")
    assert "bad.npz" in str(error.value) and "\n" not in str(error.value)
    good = store.mask("good")
    assert good is not None and good.sum() == 1
    with pytest.raises(ArtefactRegionError, match="another voxel grid"):
        store.add("good", 1, np.zeros((5, 5), bool) | True, (5, 5, 4), "r")
    with pytest.raises(ArtefactRegionError, match="does not fit"):
        store.add("good", 9, _plane((0, 0)), SHAPE, "r")


def test_regions_are_written_inside_the_workspace_only(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (ws.root / "review").mkdir()
    os.symlink(elsewhere, ws.root / "review" / "artefacts")
    with pytest.raises(WorkspacePathError):
        ArtefactStore(ws).add("c1", 0, _plane((0, 0)), SHAPE, "r")
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(InputError, match="invalid case id"):
        ArtefactStore(ws).mask("../c1")
