"""Fig. 5 grid: the pictures of a row line up and captions are not drawn over pictures when
a title or a caption wraps."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from lrpstudio.gui.runs.compare import Fig5Grid


def _arrays(rows: int = 2, models: int = 2, size: int = 16) -> dict:
    rng = np.random.default_rng(0)
    maps = [{"relevance": rng.normal(size=(rows, size, size)).astype(np.float32), "vmax": 1.0,
             "scores": np.full(rows, 0.5), "predictions": np.ones(rows, dtype=np.int64)}
            for _ in range(models)]
    return {"titles": [f"BraTS20_Training_00{i} z3{i}" for i in range(rows)],
            "labels": np.zeros(rows, dtype=np.int64),
            "images": rng.random((rows, size, size)).astype(np.float32),
            "masks": np.ones((rows, size, size), dtype=bool), "names": [f"run{j}" for j in range(models)],
            "display": ["paper LRP+ p1 14:06", "paper CE 14:05"][:models], "maps": maps}


def test_rows_line_up_and_captions_stay_under_their_pictures(qtbot) -> None:
    grid = Fig5Grid()
    qtbot.addWidget(grid)
    grid.show_arrays(_arrays())
    grid.resize(700, grid.minimumSizeHint().height())  # tight, as in the Runs tab's scroll area
    grid.show()
    qtbot.waitExposed(grid)
    qtbot.waitUntil(lambda: grid.tiles[-1].mapTo(grid, QtCore.QPoint()).y() > 0)
    columns = 4
    for row in range(2):
        tiles = grid.tiles[row * columns:(row + 1) * columns]
        tops = {t.picture.mapTo(grid, QtCore.QPoint()).y() for t in tiles}
        assert len(tops) == 1, (row, tops)
        for tile in tiles:
            picture_bottom = tile.picture.mapTo(grid, QtCore.QPoint(0, tile.picture.height())).y()
            assert tile.caption.mapTo(grid, QtCore.QPoint()).y() >= picture_bottom - 1
            needed = tile.caption.heightForWidth(tile.caption.width())
            assert tile.caption.height() >= needed, (tile.caption.text(), tile.caption.height(), needed)
