"""Pin the viewer's slice (key P / View menu): stored in the workspace, explained first
in the next run's Fig. 7."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6 import QtWidgets

from lrpstudio.core.train.run_record import PINNED_FILE
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.user_pins import read_pins
from lrpstudio.gui.shell.shortcuts import shortcut
from tests.gui.conftest import train_one_tiny_epoch

TIMEOUT_MS = 180_000


def test_pin_action_reaches_the_next_run(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    workspace = tmp_path / "ws"
    window.open_path(demo_root, workspace)
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    case_id = window.case.id
    z = int(np.argmax((window.state.seg > 0).sum(axis=(0, 1))))
    window.state.set_cursor((window.state.cursor[0], window.state.cursor[1], z))
    action = window.action_map["view.pin_slice"]
    assert shortcut("view.pin_slice").keys == ("P",) and action.shortcut().toString() == "P"
    assert any(action in m.actions() for m in window.menuBar().findChildren(QtWidgets.QMenu))
    action.trigger()
    assert read_pins(workspace) == ((case_id, z),)
    action.trigger()  # pinning twice keeps one pin
    assert read_pins(workspace) == ((case_id, z),)

    panel = window.tabs.training
    run_dir = train_one_tiny_epoch(window, qtbot, pinned=1, timeout_ms=TIMEOUT_MS)
    record = RunFolder(run_dir).read_config()
    assert [tuple(p) for p in record.train.pinned_slices] == [(case_id, z)]
    pinned = json.loads((RunFolder(run_dir).heatmap_dir / PINNED_FILE).read_text())
    assert pinned["pool"] == "all"
    assert (pinned["slices"][0]["case"], pinned["slices"][0]["slice"]) == (case_id, z)
    assert panel.fig7.inputs["titles"][0] == f"{case_id} z{z}"
