"""Workspaces: where they go, what they remember, and the review-status store."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lrpstudio.core.data.workspace import (
    REVIEW_STATUSES,
    default_workspace,
    fallback_workspace_dir,
    is_workspace,
    open_workspace,
)
from lrpstudio.core.errors import InputError


def test_default_workspace_lives_in_the_data_root_and_remembers_it(tmp_path: Path) -> None:
    data = tmp_path / "BraTS2021"
    data.mkdir()
    ws = default_workspace(data)
    assert ws.root == data / ".lrpstudio" and ws.data_root == data.resolve()
    record = json.loads((ws.root / "workspace.json").read_text())
    assert record["data_root"] == ".."  # relative: the pair can move together
    assert is_workspace(ws.root) and open_workspace(ws.root).data_root == data.resolve()
    moved = tmp_path / "elsewhere"
    shutil.move(str(data), str(moved))
    assert open_workspace(moved / ".lrpstudio").data_root == moved.resolve()


def test_fallback_when_the_data_root_cannot_hold_a_workspace(tmp_path: Path) -> None:
    data = tmp_path / "readonly-data"
    data.mkdir()
    (data / ".lrpstudio").write_text("a file where the folder would go")
    ws = default_workspace(data)
    assert ws.root == fallback_workspace_dir(data)
    assert ws.root.parent == Path(os.environ["LRPSTUDIO_HOME"]) / "data" / "workspaces"
    assert ws.root.name.startswith("readonly-data-")
    record = json.loads((ws.root / "workspace.json").read_text())
    assert record["data_root"] == str(data.resolve())
    assert default_workspace(data).root == ws.root  # stable


def test_open_workspace_creates_updates_and_refuses(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    assert ws.data_root is None and is_workspace(ws.root)
    ws = open_workspace(tmp_path / "ws", data_root=tmp_path)
    assert open_workspace(tmp_path / "ws").data_root == tmp_path.resolve()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        open_workspace(tmp_path / "file")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workspace.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot read workspace file"):
        open_workspace(tmp_path / "broken")
    with pytest.raises(InputError, match="does not exist"):
        default_workspace(tmp_path / "missing")


def test_correction_paths_and_listing(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    path = ws.correction_path("BraTS2021_00001")
    assert path == ws.root / "corrections" / "BraTS2021_00001" / "BraTS2021_00001_seg.nii.gz"
    assert ws.sidecar_path("BraTS2021_00001").name == "BraTS2021_00001_seg.json"
    assert ws.find_correction("BraTS2021_00001") is None and ws.corrected_cases() == []
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    assert ws.find_correction("BraTS2021_00001") == path
    assert ws.corrected_cases() == ["BraTS2021_00001"] and ws.read_sidecar("BraTS2021_00001") is None
    for bad in ("", "..", "a/b", "a\\b"):
        with pytest.raises(InputError, match="invalid case id"):
            ws.correction_path(bad)


def test_review_store_round_trip(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    assert ws.review.get("A") == "not started" and ws.review.all() == {}
    ws.review.set("A", "in progress")
    ws.review.set("B", "flagged")
    ws.review.set("A", "done")
    fresh = open_workspace(tmp_path / "ws").review
    assert fresh.all() == {"A": "done", "B": "flagged"}
    data = json.loads((ws.root / "review.json").read_text())
    assert data["cases"] == {"A": "done", "B": "flagged"}
    with pytest.raises(InputError, match="unknown review status"):
        ws.review.set("A", "finished")
    assert set(REVIEW_STATUSES) == {"not started", "in progress", "done", "flagged"}
    assert [p.name for p in ws.root.iterdir() if p.name.endswith(".tmp")] == []
