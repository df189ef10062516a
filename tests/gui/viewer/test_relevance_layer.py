"""The relevance layer in the main window: a planted heatmap lands on the voxels its pixel
covers, the layer goes stale and is recomputed after a slice change and an edit, shows the
tumour-bearing range in the other views, and its key switches it off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.relevance_layer import layer_result
from lrpstudio.cli.main import main

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def tiny_run(demo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("layer") / "run"
    assert main(["train", str(demo_root), "--out", str(run), "--size", "32", "--epochs", "1",
                 "--batch-size", "16", "--pinned", "0", "--guidance", "none"]) == 0
    return run


def _open(make_window, demo_root: Path, tmp_path: Path, qtbot, run: Path):  # noqa: ANN202
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    z = int(window.state.cursor[2])
    window.show_relevance(window.case.id, z, run)
    layer = window.review.layer
    qtbot.waitUntil(lambda: not layer.busy and not layer.stale, timeout=TIMEOUT_MS)
    return window, layer


def test_a_planted_pixel_lands_on_the_voxels_it_covers(make_window, demo_root: Path, tmp_path: Path,
                                                       qtbot, tiny_run: Path) -> None:
    window, layer = _open(make_window, demo_root, tmp_path, qtbot, tiny_run)
    assert layer.enabled and layer.result is not None and layer.plane_rgba("axial") is not None
    state, z = window.state, int(window.state.cursor[2])
    shape = state.shape[:2]
    assert shape == (48, 48)  # square: no padding; 48 voxels -> 32 pixels, 1.5 voxels a pixel
    planted = np.zeros((1, 32, 32))
    row, col = 10, 21  # prepared rows follow voxel axis j, columns axis i
    planted[0, row, col] = 1.0
    layer.show_result(layer_result(window.case.id, layer.run_dir, "epsilon", layer.version, [z], planted,
                                   shape, vmax=1.0))
    assert not layer.stale
    expected = np.zeros(shape, bool)  # voxels whose square overlaps the pixel's footprint
    i0, i1 = int(np.floor(1.5 * col)), int(np.ceil(1.5 * (col + 1)))
    j0, j1 = int(np.floor(1.5 * row)), int(np.ceil(1.5 * (row + 1)))
    expected[i0:i1, j0:j1] = True
    view = window.views.views["axial"]
    alpha = layer.plane_rgba("axial")[..., 3]
    on_screen = view.mapping.extract(expected[:, :, None], 0)
    np.testing.assert_array_equal(alpha > 0, on_screen)
    full = np.zeros(shape, bool)  # voxels wholly inside the footprint get the pixel's value
    full[int(np.ceil(1.5 * col)):int(np.floor(1.5 * (col + 1))), int(np.ceil(1.5 * row)):int(np.floor(1.5 * (row + 1)))] = True
    assert full.any() and (alpha[view.mapping.extract(full[:, :, None], 0)] == 255).all()
    # The colour bar shows the scale, the mask outline is drawn.
    assert layer.bar.isVisible() and layer.bar.labels() == ["0", "+1"]
    assert layer.outline_image("axial") is not None


def test_stale_on_slice_change_and_edit_recomputed_and_toggled_off(make_window, demo_root: Path, tmp_path: Path,
                                                                   qtbot, tiny_run: Path) -> None:
    window, layer = _open(make_window, demo_root, tmp_path, qtbot, tiny_run)
    state = window.state
    before = layer.computed
    state.step(2, 1)
    z = int(state.cursor[2])
    assert layer.stale and layer.bar.status in ("computing…", "stale")
    qtbot.waitUntil(lambda: not layer.busy and not layer.stale, timeout=TIMEOUT_MS)
    assert layer.computed > before and layer.result.zs == (z,) and layer.bar.status == ""
    # Two quick steps: the first slice's result, outdated on arrival, is not taken as current.
    state.step(2, 1)
    state.step(2, 1)
    z = int(state.cursor[2])
    qtbot.waitUntil(lambda: not layer.busy and not layer.stale, timeout=TIMEOUT_MS)
    assert layer.result.zs == (z,)
    # An edit: stale at once, recomputed for the new mask version.
    version = layer.version
    session = window.controller.session
    session.set_active_label(3)
    target = np.argwhere((state.seg[:, :, z] == 0) & (state.images["flair"][:, :, z] > 0))[0]
    session.paint((int(target[0]), int(target[1]), z))
    assert layer.version > version and layer.stale
    qtbot.waitUntil(lambda: not layer.busy and not layer.stale, timeout=TIMEOUT_MS)
    assert layer.result.version == layer.version
    # All tumour slices: the coronal view shows the layer too.
    assert layer.plane_rgba("coronal") is None
    window.review.controls.all_slices.setChecked(True)
    qtbot.waitUntil(lambda: not layer.busy and not layer.stale, timeout=TIMEOUT_MS)
    assert len(layer.result.zs) > 1 and layer.plane_rgba("coronal") is not None
    # The key switches it off (and the check box follows).
    window.action_map["view.relevance"].trigger()
    assert not layer.enabled and not window.review.controls.show_layer.isChecked()
    assert layer.plane_rgba("axial") is None and not layer.bar.isVisible()


def test_the_colour_bar_leaves_the_modality_name_readable(qtbot) -> None:
    from PySide6 import QtWidgets

    from lrpstudio.gui.viewer.relevance_bar import RelevanceColourBar

    view = QtWidgets.QWidget()
    qtbot.addWidget(view)
    name = QtWidgets.QLabel("FLAIR", view)
    name.setStyleSheet("font-size: 11px;")
    name.adjustSize()
    name.move(4, 2)
    bar = RelevanceColourBar(view)
    assert not bar.geometry().intersects(name.geometry())
