"""The loop in the main window: correct a mask, train from the Training tab on the corrected
data, see the correction recorded, and explain the viewer's slice with the new model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lrpstudio.core.data.prepare import dataset_from
from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.app.run_info import RunDataSettings
from lrpstudio.app.slices import capture, prepare_viewer_slice
from tests.gui.conftest import train_one_tiny_epoch

TIMEOUT_MS = 180_000


def test_correct_train_explain(make_window, demo_root: Path, tmp_path: Path, qtbot) -> None:
    window = make_window()
    workspace = tmp_path / "ws"
    window.open_path(demo_root, workspace)
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    case_id = window.case.id
    # Correct the mask: paint enhancing tumour where there was none, then save.
    session = window.controller.session
    session.set_active_label(3)
    z = int(np.argmax((window.state.seg > 0).sum(axis=(0, 1))))
    target = np.argwhere((window.state.seg[:, :, z] == 0) & (window.state.images["flair"][:, :, z] > 0))[0]
    session.paint((int(target[0]), int(target[1]), z))
    assert window.controller.dirty
    assert window.save()

    # Train from the Training tab on the open data, with corrected masks.
    panel = window.tabs.training
    assert panel.runs_dir == workspace / "runs"
    run_dir = train_one_tiny_epoch(window, qtbot, pinned=2, timeout_ms=TIMEOUT_MS)
    assert panel.thread_violations == 0
    record = RunFolder(run_dir).read_config()
    assert record.dataset.manifest["cases"][case_id]["correction"] is not None
    window.tabs.setCurrentWidget(window.tabs.runs)  # re-listed when shown
    rows = window.tabs.runs.rows
    assert [r["path"] for r in rows] == [str(run_dir)] and rows[0]["corrections"] == 1

    # Explain the viewer's slice: same pixels as the dataset's slice of that case.
    dataset = dataset_from(demo_root, PrepareConfig(image_size=32), window.data.workspace)
    assert json.loads(json.dumps(dataset.manifest["cases"][case_id]["correction"]))
    row = dataset.find(case_id)
    window.state.set_cursor((window.state.cursor[0], window.state.cursor[1], int(dataset.slice_index[row])))
    current = capture(case_id, window.case.grade, window.state.images, window.state.seg,
                      int(dataset.slice_index[row]))
    prepared = prepare_viewer_slice(current, RunDataSettings(tuple(dataset.channels), 32, "whole", None))
    np.testing.assert_allclose(prepared.image, dataset.images[row], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(prepared.tumour, dataset.tumor_masks[row])
    np.testing.assert_array_equal(prepared.brain, dataset.brain_masks[row])
    explain = window.explain
    assert explain.run_box.count() == 1
    result = explain.explain()
    assert result is not None and result.relevance.shape == (32, 32)
    assert np.isfinite(result.score) and 0.0 <= result.score <= 1.0
    assert "S=" in explain.heat_tile.caption.text()
    assert "TumorLRPScore" in explain.text.text()

    # Similar cases of the same slice: per layer k thumbnails, Deep k-NN, BiLRP, open a neighbour.
    similar = window.tabs.similar
    window.tabs.setCurrentWidget(similar)  # its run list is brought up to date when shown
    assert similar.run_box.count() == 1
    similar.k.setValue(3)
    assert similar.query_current()
    qtbot.waitUntil(lambda: similar.worker is None and similar.result is not None, timeout=TIMEOUT_MS)
    layers = list(similar.result["neighbours"])
    tiles = similar.neighbour_tiles()
    # One slice per patient (the default): k = 3, or fewer when the atlas has fewer other patients.
    atlas = next(iter(similar.engine.cache.values())).atlas
    wanted = min(3, len(set(atlas.case_ids.tolist()) - {case_id}))
    assert len(layers) >= 2 and len(tiles) == wanted * len(layers)
    for layer in layers:
        cases = [t.neighbour.case_id for t in tiles if t.layer == layer]
        assert len(set(cases)) == len(cases)
    assert all(t.neighbour.case_id != case_id for t in tiles), "the query's own patient is excluded"
    distances = [t.neighbour.distance for t in tiles if t.layer == layers[0]]
    assert distances == sorted(distances)
    assert "credibility" in similar.verdict.text() or "no validation split" in similar.verdict.text()
    tile = tiles[0]
    assert similar.select(tile)
    qtbot.waitUntil(lambda: similar.worker is None and similar.bilrp.lines is not None, timeout=TIMEOUT_MS)
    view = similar.bilrp
    drawn = len(view.drawn())
    assert drawn >= 1
    view.top_n.setValue(1)
    assert len(view.drawn()) == 1
    view.sign.setCurrentIndex(1)
    assert all(s.value > 0 for s in view.drawn())
    view.sign.setCurrentIndex(0)
    view.items[0].hoverEnterEvent(None)
    assert len(view.patches) == 2 and "pair R" in view.info.text()
    similar.open_neighbour(tile)
    n = tile.neighbour
    qtbot.waitUntil(lambda: window.case is not None and window.case.id == n.case_id
                    and window.state.cursor[2] == n.slice_index, timeout=30_000)
    assert window.tabs.currentIndex() == 0
