"""The Fig. 7 view: one fixed colour scale per run (widened on request), tiles replaced cleanly."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from lrpstudio.gui.training.fig7_view import Fig7View


def _inputs(n: int = 2, size: int = 8) -> dict:
    return {"images": np.random.default_rng(0).random((n, size, size)).astype(np.float32),
            "masks": np.ones((n, size, size), dtype=bool), "labels": np.arange(n) % 2,
            "titles": [f"case{i} z{i}" for i in range(n)]}


def _arrays(value: float, vmax: float = 1.0, n: int = 2, size: int = 8) -> dict:
    return {"relevance": np.full((n, size, size), value, dtype=np.float32), "scores": np.full(n, 0.5),
            "predictions": np.zeros(n, dtype=np.int64), "labels": np.arange(n) % 2, "vmax": np.float64(vmax)}


def _centre_rgb(view: Fig7View, column: int) -> tuple[int, int, int]:
    image = view.columns[column][1].picture.pixmap().toImage()
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def test_the_scale_is_fixed_by_the_first_epoch_and_can_be_widened(qtbot) -> None:
    view = Fig7View()
    qtbot.addWidget(view)
    view.set_inputs(_inputs())
    view.add_epoch(1, _arrays(1.0, vmax=1.0))
    view.add_epoch(2, _arrays(1.0, vmax=5.0))  # later epochs do not move the scale
    assert view.vmax == 1.0 and view.scale_label.text() == "±1"
    assert _centre_rgb(view, 0) == (255, 0, 0)  # saturated at the fixed scale
    assert not view.scale_bar.pixmap().isNull()
    view.scale_factor.setCurrentIndex(1)  # x2
    assert view.shown_vmax == 2.0 and view.scale_label.text() == "±2"
    red, green, blue = _centre_rgb(view, 0)
    assert red == 255 and 120 <= green == blue <= 135  # half way to white
    view.slider.setValue(1)
    assert _centre_rgb(view, 0)[1] == green  # the same scale in every epoch


def test_captions_explain_the_score(qtbot) -> None:
    view = Fig7View()
    qtbot.addWidget(view)
    view.set_inputs(_inputs())
    view.add_epoch(1, _arrays(0.1))
    assert all(c.startswith("S=0.50 · pred LGG") for c in view.captions())
    assert "TumorLRPScore" in view.columns[0][1].caption.toolTip()


def test_new_pinned_slices_hide_the_old_tiles_at_once(qtbot) -> None:
    view = Fig7View()
    qtbot.addWidget(view)
    view.show()
    view.set_inputs(_inputs(3))
    view.add_epoch(1, _arrays(0.1, n=3))
    old = [tile for column in view.columns for tile in column]
    view.clear()  # a new run: nothing of the old one stays drawn
    assert not any(tile.isVisible() for tile in old)
    inputs = _inputs(2)
    inputs["titles"] = ["new a", "new b"]
    view.set_inputs(inputs)
    assert len(view.columns) == 2
    shown = [tile for tile in old if tile.isVisible()]
    assert shown == [tile for column in view.columns for tile in column]  # the tiles are reused
    assert [inp.title.text() for inp, _heat in view.columns] == ["new a", "new b"]
    # No heatmap of the previous run under the new slices until their first epoch arrives.
    assert all(heat.picture.pixmap().isNull() and not heat.caption.text() for _inp, heat in view.columns)


def test_pictures_of_a_row_line_up_when_a_title_or_caption_wraps(qtbot) -> None:
    view = Fig7View()
    qtbot.addWidget(view)
    inputs = _inputs(3)
    inputs["titles"][1] = "BraTS20_Training_012_long_name z45 (pinned in the viewer)"
    view.set_inputs(inputs)
    view.add_epoch(1, _arrays(0.1, n=3))
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.columns[0][1].picture.mapTo(view.grid_host, QtCore.QPoint()).y() > 0)
    for row in range(2):
        tiles = [column[row] for column in view.columns]
        tops = {t.picture.mapTo(view.grid_host, t.picture.rect().topLeft()).y() for t in tiles}
        assert len(tops) == 1, (row, tops)
        captions = {t.caption.mapTo(view.grid_host, t.caption.rect().topLeft()).y() for t in tiles}
        assert len(captions) == 1, (row, captions)
