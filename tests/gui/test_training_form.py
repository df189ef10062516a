"""The training form: fits a narrow column, says in tooltips what its short labels mean,
and still reads and writes every option."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6 import QtWidgets

from lrpstudio.core.train.config import TrainConfig
from lrpstudio.gui.training_form import ROWS, TrainingForm


@pytest.mark.parametrize("width", [300, 380])
def test_the_form_fits_a_narrow_column_without_a_horizontal_scroll_bar(qtbot, width: int) -> None:
    scroll = QtWidgets.QScrollArea()
    qtbot.addWidget(scroll)
    form = TrainingForm()
    scroll.setWidgetResizable(True)
    scroll.setWidget(form)
    scroll.resize(width, 900)  # tall enough that no vertical bar takes width either
    scroll.show()
    qtbot.waitExposed(scroll)
    assert form.minimumSizeHint().width() <= width - 4
    assert not scroll.horizontalScrollBar().isVisible()
    for check in (form.flips, form.use_corrections):  # their text was cut off at the edge
        assert check.geometry().right() <= form.width(), check.text()
        assert check.sizeHint().width() <= check.width(), check.text()


def test_every_row_has_a_label_and_a_tooltip_saying_it_in_full(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    layout = form.layout()
    assert isinstance(layout, QtWidgets.QFormLayout) and layout.rowCount() == len(ROWS)
    labels = [attribute for attribute, _label, _tip in ROWS]
    assert labels.index("device") < 6, "Device belongs near the top, where it is seen"
    for attribute, label, tip in ROWS:
        widget = getattr(form, attribute)
        assert layout.labelForField(widget).text() == label
        assert widget.toolTip() == tip and layout.labelForField(widget).toolTip() == tip


def test_the_form_reads_back_what_it_is_given(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    base = TrainConfig()
    config = replace(base, epochs=7, batch_size=4, lr=3e-4, seed=11, pinned=3,
                     guidance=replace(base.guidance, kind="none", penalty=2.0, normalized=True,
                                      score_gradient="detached"))
    form.set_config(config)
    read = form.config()
    assert (read.epochs, read.batch_size, read.seed, read.pinned) == (7, 4, 11, 3)
    assert read.lr == pytest.approx(3e-4)
    assert read.guidance.kind == "none" and read.guidance.normalized
    assert read.guidance.score_gradient == "detached" and read.guidance.penalty == 2.0
    assert not form.penalty.isEnabled()  # no penalty without LRPLoss
