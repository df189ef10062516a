"""The Similar cases tab on a small real atlas: one slice per patient, elided titles,
the selected thumbnail highlighted, old thumbnails hidden at once."""

from __future__ import annotations


import numpy as np
import pytest
import shiboken6
import torch
from PySide6 import QtWidgets

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.models import build_model
from lrpstudio.core.xai.similar import SimilarCases
from lrpstudio.app.similar import similar_config
from lrpstudio.gui.similar.view import NeighbourTile, SimilarPanel, short_case

RUN, K, SIZE = "tiny-run", 4, 32


def atlas_data() -> SliceDataset:
    """Seven patients of four near-copy slices; the last patient is the query's."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(7, 3, SIZE, SIZE)).astype(np.float32)
    images = np.repeat(base, 4, axis=0) + 0.01 * rng.normal(size=(28, 3, SIZE, SIZE)).astype(np.float32)
    masks = np.zeros((28, SIZE, SIZE), bool)
    masks[:, 10:16, 10:16] = True
    return SliceDataset(
        images=images, tumor_masks=masks, brain_masks=np.ones((28, SIZE, SIZE), bool),
        labels=np.repeat(np.arange(7) % 2, 4),
        case_ids=np.repeat([f"BraTS20_Training_{i:03d}" for i in range(7)], 4),
        slice_index=np.tile(np.arange(30, 34), 7), split=np.array(["train"] * 24 + ["test"] * 4))


@pytest.fixture
def panel(qtbot) -> SimilarPanel:
    """A shown panel whose engine holds a real SimilarCases (no run folder needed)."""
    widget = SimilarPanel(lambda: None, lambda size: atlas_data())
    torch.manual_seed(0)
    data = atlas_data()
    widget.engine.cache[(RUN, K)] = SimilarCases(build_model("paper", image_size=SIZE), data,
                                                 similar_config(K))
    widget.k.setValue(K)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def ask(panel: SimilarPanel, qtbot) -> None:
    data = atlas_data()
    image = data.images[-1]
    assert panel._ask({"run": RUN, "k": K, "image": image, "tumour": data.tumor_masks[-1],
                       "case_id": str(data.case_ids[-1]), "z": 33, "grey": image[-1]})
    qtbot.waitUntil(lambda: panel.worker is None and panel.result is not None, timeout=60_000)


def test_short_case_cuts_between_words_and_keeps_the_number() -> None:
    assert short_case("BraTS20_Training_012", keep=20) == "BraTS20_Training_012"
    assert short_case("BraTS20_Training_012", keep=13) == "…Training_012"
    assert short_case("BraTS20_Training_012", keep=6) == "…012"
    assert short_case("UCSF-PDGM-0004", keep=8) == "…0004"
    assert short_case("patient123456", keep=5) == "…3456"


def test_one_slice_per_patient_is_the_default_and_the_titles_keep_the_case_number(panel, qtbot) -> None:
    assert panel.one_per_patient.isChecked()
    ask(panel, qtbot)
    for layer, neighbours in panel.result["neighbours"].items():
        cases = [n.case_id for n in neighbours]
        assert len(cases) == K and len(set(cases)) == K, layer
    tile = panel.neighbour_tiles()[0]
    name = tile.title.text().split("\n")[0]
    assert name.endswith(tile.neighbour.case_id[-3:]) and not name.startswith("…aining")
    assert tile.neighbour.case_id in tile.toolTip()
    # Unticked: the same slice again, now with a patient's adjacent slices among the neighbours.
    panel.one_per_patient.setChecked(False)
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)
    plain = panel.result["neighbours"]
    assert any(len({n.case_id for n in ns}) < K for ns in plain.values())
    # Ticked while a computation runs: refused, and the box goes back to what is shown.
    assert panel.select(panel.neighbour_tiles()[0])  # a BiLRP computation starts
    assert panel.worker is not None
    panel.one_per_patient.setChecked(True)
    assert not panel.one_per_patient.isChecked() and "Busy" in panel.busy.text()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)


def test_old_tiles_are_hidden_before_the_event_loop_deletes_them(panel, qtbot) -> None:
    ask(panel, qtbot)
    old = list(panel.tiles)
    assert old and all(t.isVisible() for t in old)
    panel._show(panel.result)  # no event loop between: deleteLater has not run yet
    assert not any(t.isVisible() for t in old)
    QtWidgets.QApplication.processEvents()  # what a script does: no deferred deletion here
    assert all(t.isVisible() for t in panel.tiles)
    assert not any(shiboken6.isValid(t) and t.isVisible() for t in old)


def test_the_selected_neighbour_is_highlighted(panel, qtbot) -> None:
    ask(panel, qtbot)
    first, second = panel.neighbour_tiles()[:2]
    before = first.grab().toImage().pixelColor(1, 1)
    assert panel.select(first)
    assert "Computing BiLRP" in panel.bilrp.placeholder.text()
    qtbot.waitUntil(lambda: panel.worker is None and panel.bilrp.lines is not None, timeout=60_000)
    assert first.selected and panel.selected is first
    assert first.grab().toImage().pixelColor(1, 1) != before
    assert panel.select(second)
    qtbot.waitUntil(lambda: panel.worker is None and panel.bilrp.lines is not None, timeout=60_000)
    assert second.selected and not first.selected
    assert first.grab().toImage().pixelColor(1, 1) == before
    assert panel.bilrp.top_n.maximum() == len(panel.bilrp.lines.segments)


def test_a_new_query_clears_the_selection_and_the_bilrp_view(panel, qtbot) -> None:
    ask(panel, qtbot)
    assert panel.select(panel.neighbour_tiles()[0])
    qtbot.waitUntil(lambda: panel.worker is None and panel.bilrp.lines is not None, timeout=60_000)
    ask(panel, qtbot)
    assert panel.selected is None and panel.bilrp.lines is None
    assert panel.bilrp.stack.currentWidget() is panel.bilrp.placeholder
    assert isinstance(panel.neighbour_tiles()[0], NeighbourTile)
    assert not any(t.selected for t in panel.neighbour_tiles())


def test_a_short_row_is_explained(panel, qtbot) -> None:
    ask(panel, qtbot)
    assert "Only" not in panel.verdict.text()
    panel.engine.cache[(RUN, 8)] = SimilarCases(panel.engine.cache[(RUN, K)].model, atlas_data(),
                                                similar_config(8))
    data = atlas_data()
    assert panel._ask({"run": RUN, "k": 8, "image": data.images[-1], "tumour": data.tumor_masks[-1],
                       "case_id": str(data.case_ids[-1]), "z": 33, "grey": data.images[-1, -1]})
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)
    assert all(len(ns) == 6 for ns in panel.result["neighbours"].values())
    assert "Only 6 neighbour(s) per layer" in panel.verdict.text()
