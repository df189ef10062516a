"""The Review tab with a tiny real run on demo data: the queue builds in the background, Enter
opens an entry in the viewer at its slice with the layer on and its largest outside component
outlined, "Add to mask" adds voxels (undo removes them), "Artefact" stores a region, and the
states are there again in a new tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets
from pytestqt.qtbot import QtBot

from lrpstudio.app.verdicts import ArtefactStore, QueueStateStore, extended_suggestion
from lrpstudio.cli.main import main
from lrpstudio.gui.review.host import WindowHost
from lrpstudio.gui.review.panel import ReviewPanel

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def tiny_run(demo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("review") / "runs" / "tiny"
    assert main(["train", str(demo_root), "--out", str(run), "--size", "32", "--epochs", "1",
                 "--batch-size", "16", "--pinned", "0", "--guidance", "none"]) == 0
    return run


def _opened(window, panel: ReviewPanel, qtbot: QtBot, row: int) -> None:
    entry = panel.model.entries[row]
    layer = window.review.layer
    qtbot.waitUntil(lambda: window.case is not None and window.case.id == entry.case_id
                    and int(window.state.cursor[2]) == entry.z and panel.entry.worker is None
                    and panel.entry.planes is not None and not layer.busy and not layer.stale,
                    timeout=TIMEOUT_MS)


def test_queue_open_verdicts_and_states(make_window, demo_root: Path, tmp_path: Path, qtbot: QtBot,
                                        tiny_run: Path) -> None:
    window = make_window()
    workspace = tmp_path / "ws"
    window.open_path(demo_root, workspace)
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    panel = window.review.panel
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Review"
    panel.set_runs_dir(tiny_run.parent)
    assert panel.run_box.count() == 1 and panel.baseline_box.count() == 2
    window.action_map["window.review"].trigger()
    assert window.tabs.currentWidget() is panel
    assert panel.build() and panel.progress.isVisible() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    queue = panel.queue
    assert queue is not None and queue.entries, panel.text.text()
    assert panel.model.rowCount() == len(queue.entries) and not panel.progress.isVisible()
    assert [e.rank for e in queue.entries] == list(range(1, len(queue.entries) + 1))

    # Enter on an entry with outside components opens it in the viewer with the layer on.
    row = next(i for i, e in enumerate(panel.model.entries) if e.components)
    entry = panel.model.entries[row]
    panel.select_source_row(row)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, QtCore.Qt.Key.Key_Return)
    _opened(window, panel, qtbot, row)
    layer = window.review.layer
    assert window.tabs.currentIndex() == 0 and layer.enabled and layer.run_dir == str(tiny_run)
    assert panel.entry.components and layer.outline_image("axial", 2) is not None
    assert "of the positive relevance" in panel.entry.where.text()

    # Add to mask: one undoable step; the entry is done. By default the blob is extended
    # over the similar tissue connected to it (in the shown image).
    plane = panel.entry.planes[panel.entry.component]
    assert panel.entry.extend.isChecked()
    current = window.viewer_slice()
    shown = window.state.images[window.state.modality]
    expected = extended_suggestion(plane, current, shown) & (current.seg[:, :, entry.z] == 0)
    before = int((window.state.seg > 0).sum())
    window.action_map["review.add_to_mask"].trigger()
    added = int((window.state.seg > 0).sum()) - before
    assert 0 < added == int(expected.sum())
    store = QueueStateStore(window.data.workspace)
    state = store.get(tiny_run.name, entry.key)
    assert (state.state, state.verdict) == ("done", "add to mask")
    assert panel.model.state(row).verdict == "add to mask"
    window.controller.undo()
    assert int((window.state.seg > 0).sum()) == before
    window.controller.discard()

    # Artefact: the component is stored as the case's artefact region.
    row2 = next(i for i, e in enumerate(panel.model.entries)
                if e.components and i != row and panel.model.state(i).state == "open")
    panel.entry.open_row(row2)
    _opened(window, panel, qtbot, row2)
    entry2 = panel.model.entries[row2]
    stored = int(panel.entry.planes[panel.entry.component].sum())
    window.action_map["review.artefact"].trigger()
    region = ArtefactStore(window.data.workspace).mask(entry2.case_id)
    assert region is not None and int(region[:, :, entry2.z].sum()) >= stored > 0
    assert store.get(tiny_run.name, entry2.key).verdict == "artefact"

    # Reopening the tab: the states come back from the workspace.
    again = ReviewPanel(WindowHost(window, layer))
    qtbot.addWidget(again)
    again.show_queue(queue)
    states = {e.key: again.model.state(i) for i, e in enumerate(again.model.entries)}
    assert states[entry.key].verdict == "add to mask" and states[entry2.key].verdict == "artefact"
    assert sum(s.state != "open" for s in states.values()) == 2

    # Retrain with corrections: the Training tab, with the penalty when the form has the field.
    panel.entry.retrain()
    assert window.tabs.currentWidget() is window.tabs.training
    field = window.tabs.training.findChild(QtWidgets.QDoubleSpinBox, "forbidden_weight")
    if field is not None:  # the form's artefact penalty, set because a region exists now
        assert field.value() == 1.0
    qtbot.waitUntil(lambda: panel.entry.worker is None and not layer.busy, timeout=TIMEOUT_MS)
