"""Small image tiles for heatmap views: a title, a picture and a caption.

The pictures are the RGBA arrays of :mod:`lrpstudio.core.render.colours`, the same pixels
the run's PNG files are made of, so what the GUI shows matches the files.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.pictures import heat_ramp

TILE_PX = 150


def to_pixmap(rgba: np.ndarray, size: int = TILE_PX) -> QtGui.QPixmap:
    """A QPixmap of an RGBA array, scaled to ``size`` px (nearest: pixels stay visible)."""
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    image = QtGui.QImage(rgba.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGBA8888).copy()
    return QtGui.QPixmap.fromImage(image).scaled(
        size, size, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
        QtCore.Qt.TransformationMode.FastTransformation)


def colour_bar(vmax: float, width: int = 90, height: int = 10) -> QtGui.QPixmap:
    """The blue-white-red scale from ``-vmax`` to ``+vmax`` as a small picture."""
    ramp = heat_ramp(vmax, width, height)
    rgba = np.ascontiguousarray(ramp)
    image = QtGui.QImage(rgba.data, width, height, 4 * width, QtGui.QImage.Format.Format_RGBA8888).copy()
    return QtGui.QPixmap.fromImage(image)


def drop_tiles(tiles: Iterable[QtWidgets.QWidget]) -> None:
    """Remove tiles from view and from their layout now, and delete them later.

    ``deleteLater`` alone leaves a tile drawn until the event loop deletes it, under the
    tiles that replace it (scripts that only call ``processEvents()`` saw them).
    """
    for tile in tiles:
        tile.hide()
        parent = tile.parentWidget()
        layout = parent.layout() if parent is not None else None
        if layout is not None:
            layout.removeWidget(tile)
        tile.deleteLater()


class Tile(QtWidgets.QWidget):
    """A title, a picture and a caption, stacked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, size: int = TILE_PX) -> None:
        super().__init__(parent)
        self.size_px = size
        self.title = QtWidgets.QLabel("", self)
        self.picture = QtWidgets.QLabel(self)
        self.picture.setFixedSize(size + 2, size + 2)  # + the frame
        self.picture.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        # A frame: heatmaps are mostly white and would melt into the window without one.
        self.picture.setFrameShape(QtWidgets.QFrame.Shape.Box)
        self.picture.setStyleSheet("QLabel { border: 1px solid #aaaaaa; }")
        self.caption = QtWidgets.QLabel("", self)
        for label in (self.title, self.caption):
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            label.setMaximumWidth(size + 20)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)

    def clear(self) -> None:
        """No picture and no texts (a tile kept for reuse)."""
        self.picture.clear()
        self.title.setText("")
        self.caption.setText("")

    def show_rgba(self, rgba: np.ndarray, title: str = "", text: str = "") -> None:
        """Set the picture and its texts."""
        self.picture.setPixmap(to_pixmap(rgba, self.size_px))
        self.title.setText(title)
        self.caption.setText(text)
