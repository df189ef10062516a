"""Checkpoint files: atomic writes and weights_only loading."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from lrpstudio.core.errors import CheckpointError
from lrpstudio.core.models import checkpoints
from lrpstudio.core.models.checkpoints import load_checkpoint, save_checkpoint


def test_crash_during_write_leaves_previous_checkpoint(tmp_path, monkeypatch) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"epoch": 1, "w": torch.ones(3)})
    before = path.read_bytes()

    def crash_half_way(obj, handle) -> None:  # a crash after part of the file is written
        handle.write(before[: len(before) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.torch, "save", crash_half_way)
    with pytest.raises(OSError):
        save_checkpoint(path, {"epoch": 2, "w": torch.zeros(3)})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    assert load_checkpoint(path)["epoch"] == 1


def test_weights_only_refuses_code_and_reports_the_file(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"obj": Fraction(1, 3)}, path)  # picklable, but not plain data
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    truncated = tmp_path / "cut.pt"
    save_checkpoint(truncated, {"w": torch.ones(100)})
    truncated.write_bytes(truncated.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="cannot load"):
        load_checkpoint(truncated)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
