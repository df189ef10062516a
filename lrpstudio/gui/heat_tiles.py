"""Small image tiles for heatmap views: a grey input with its tumour outline, a heatmap.

Images are shown the way the core's PNG figures show them (the dataset's slice array
as rows x columns, ``volume[:, :, z].T``), so what the GUI shows matches the files.
Heatmaps use a blue-white-red scale symmetric around 0 with a fixed limit ``vmax``:
red = evidence for the explained class, blue = against.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.gui.overlay import outline

OUTLINE_RGB = (0xF0, 0xE4, 0x42)  # the overlay's oedema yellow: visible on grey
TILE_PX = 150


def input_rgba(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """(H, W, 4) uint8: ``image`` in grey (1-99 percentile window), mask outline in yellow."""
    image = np.asarray(image, dtype=np.float64)
    low, high = np.percentile(image, [1, 99]) if image.size else (0.0, 1.0)
    grey = np.clip((image - low) / max(high - low, 1e-12), 0, 1)
    rgba = np.empty(image.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = (grey * 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    if mask is not None and np.any(mask):
        edge = outline(np.asarray(mask, dtype=np.uint8)) > 0
        rgba[edge, :3] = OUTLINE_RGB
    return rgba


def heat_rgba(relevance: np.ndarray, vmax: float) -> np.ndarray:
    """(H, W, 4) uint8 blue-white-red picture of ``relevance`` on [-vmax, vmax]."""
    t = np.clip(np.asarray(relevance, dtype=np.float64) / max(float(vmax), 1e-30), -1, 1)
    rgba = np.full(t.shape + (4,), 255, dtype=np.uint8)
    pos, neg = np.clip(t, 0, 1), np.clip(-t, 0, 1)
    rgba[..., 0] = (255 * (1 - neg)).astype(np.uint8)        # red stays for positive
    rgba[..., 1] = (255 * (1 - np.maximum(pos, neg))).astype(np.uint8)
    rgba[..., 2] = (255 * (1 - pos)).astype(np.uint8)        # blue stays for negative
    return rgba


def to_pixmap(rgba: np.ndarray, size: int = TILE_PX) -> QtGui.QPixmap:
    """A QPixmap of an RGBA array, scaled to ``size`` px (nearest: pixels stay visible)."""
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    image = QtGui.QImage(rgba.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGBA8888).copy()
    return QtGui.QPixmap.fromImage(image).scaled(
        size, size, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
        QtCore.Qt.TransformationMode.FastTransformation)


def caption(score: float, prediction: int, label: int | None = None) -> str:
    """'S=0.42 · pred HGG (ok)': the score (n/a without tumour) and the prediction."""
    text = f"S={score:.2f}" if np.isfinite(score) else "S=n/a"
    text += f" · pred {GRADES[int(prediction)]}"
    if label is not None:
        text += " (ok)" if int(prediction) == int(label) else " (wrong)"
    return text


class Tile(QtWidgets.QWidget):
    """A title, a picture and a caption, stacked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, size: int = TILE_PX) -> None:
        super().__init__(parent)
        self.size_px = size
        self.title = QtWidgets.QLabel("", self)
        self.picture = QtWidgets.QLabel(self)
        self.picture.setFixedSize(size, size)
        self.picture.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
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

    def show_rgba(self, rgba: np.ndarray, title: str = "", text: str = "") -> None:
        """Set the picture and its texts."""
        self.picture.setPixmap(to_pixmap(rgba, self.size_px))
        self.title.setText(title)
        self.caption.setText(text)
