"""The BiLRP line view: the slider covers every pair and shows its value, the strength
box filters, hover boxes go with their line, and a centred message before any pair."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from lrpstudio.core.render.bilrp_lines import strongest_pairs
from lrpstudio.gui.similar.bilrp_view import DEFAULT_TOP, PLACEHOLDER, SIGNS, BilrpView
from lrpstudio.app.similar import similar_config


def relevance() -> np.ndarray:
    """48 px slices, 8x8 patches: 6x6 patches each side; one dominant pair, many weak ones."""
    rng = np.random.default_rng(0)
    r = rng.normal(scale=0.01, size=(6, 6, 6, 6))
    r[2, 3, 2, 3] = 1.0
    return r


@pytest.fixture
def view(qtbot) -> BilrpView:
    widget = BilrpView()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def show(view: BilrpView) -> None:
    config = similar_config(5)
    lines = strongest_pairs(relevance(), 8, (48, 48), top_n=config.top_n, threshold=config.threshold)
    grey = np.zeros((48, 48), np.float32)
    grey[8:40, 8:40] = 1.0
    view.show_pair(grey, None, grey, None, lines, "query vs neighbour.")


def test_the_gui_asks_for_every_pair_so_the_slider_ranges_over_all(view) -> None:
    show(view)
    # The core's default soft threshold (0.1) keeps one pair here; the GUI gets all 1296.
    assert len(strongest_pairs(relevance(), 8, (48, 48)).segments) == 1
    assert len(view.lines.segments) == 6 ** 4
    assert view.top_n.maximum() == 6 ** 4 and view.top_n.value() == DEFAULT_TOP
    assert view.top_label.text() == f"{DEFAULT_TOP} of {6 ** 4}"
    view.top_n.setValue(500)
    assert len(view.drawn()) == 500 and view.top_label.text() == "500 of 1296"
    view.min_strength.setValue(0.5)
    assert [s.value for s in view.drawn()] == [1.0]
    # The user's choice survives the next neighbour.
    view.min_strength.setValue(0.0)
    show(view)
    assert view.top_n.value() == 500


def test_hover_boxes_go_when_the_sign_filter_changes(view) -> None:
    show(view)
    view.items[-1].hoverEnterEvent(None)
    assert len(view.patches) == 2
    view.sign.setCurrentIndex(SIGNS.index("negative only"))
    rects = [i for i in view.scene.items() if isinstance(i, QtWidgets.QGraphicsRectItem)]
    assert view.patches == [] and rects == []
    assert all(s.value < 0 for s in view.drawn())


def test_a_centred_message_before_any_pair(view) -> None:
    assert view.stack.currentWidget() is view.placeholder and view.placeholder.isVisible()
    assert view.placeholder.text() == PLACEHOLDER
    assert view.placeholder.alignment() & QtCore.Qt.AlignmentFlag.AlignVCenter
    assert not view.top_n.isEnabled() and not view.sign.isEnabled()
    centre = view.placeholder.mapTo(view, view.placeholder.rect().center())
    assert abs(centre.y() - view.height() / 2) < view.height() / 5
    show(view)
    assert view.stack.currentWidget() is view.graphics and view.top_n.isEnabled()
    view.show_message("Computing…")
    assert view.lines is None and view.drawn() == [] and view.placeholder.text() == "Computing…"
