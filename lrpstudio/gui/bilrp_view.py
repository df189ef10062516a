"""Interactive BiLRP line view: query and neighbour side by side, patch pairs as lines.

Red lines: the pair makes the two slices more similar; blue: less similar; opacity by
strength (the core's soft threshold). A top-N slider and a sign filter choose which
lines are drawn; hovering a line highlights it and its two patches and shows its value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.xai.bilrp_render import BilrpLines, LineSegment
from lrpstudio.core.xai.pictures import input_rgba
from lrpstudio.gui.heat_tiles import to_pixmap

GAP = 8  # pixels between the two images
SIGNS: tuple[str, ...] = ("both signs", "positive only", "negative only")


def visible_segments(lines: BilrpLines, top_n: int, sign: str) -> list[LineSegment]:
    """The ``top_n`` strongest segments passing the sign filter, strongest last."""
    keep = [s for s in lines.segments
            if sign == SIGNS[0] or (sign == SIGNS[1] and s.value > 0) or (sign == SIGNS[2] and s.value < 0)]
    return keep[-top_n:] if top_n > 0 else []


class PairLine(QtWidgets.QGraphicsLineItem):
    """One patch pair; highlights itself on hover and reports its segment."""

    def __init__(self, segment: LineSegment, offset: float, view: "BilrpView") -> None:
        super().__init__(segment.start[0] + 0.5, segment.start[1] + 0.5,
                         segment.end[0] + 0.5 + offset, segment.end[1] + 0.5)
        self.segment, self.view = segment, view
        colour = QtGui.QColor(230, 26, 26) if segment.value > 0 else QtGui.QColor(38, 89, 255)
        colour.setAlphaF(max(0.15, segment.strength))
        self.base = QtGui.QPen(colour, 1.2)
        self.base.setCosmetic(True)
        self.setPen(self.base)
        self.setAcceptHoverEvents(True)

    def hoverEnterEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        pen = QtGui.QPen(self.base)
        colour = pen.color()
        colour.setAlphaF(1.0)
        pen.setColor(colour)
        pen.setWidthF(3.5)
        self.setPen(pen)
        self.setZValue(10)
        self.view.hovered(self.segment)

    def hoverLeaveEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setPen(self.base)
        self.setZValue(0)
        self.view.hovered(None)


class BilrpView(QtWidgets.QWidget):
    """Query | neighbour with BiLRP lines, a top-N slider, a sign filter and a hover read-out."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: BilrpLines | None = None
        self.width_px = 0
        self.scene = QtWidgets.QGraphicsScene(self)
        self.graphics = QtWidgets.QGraphicsView(self.scene, self)
        self.graphics.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.graphics.setMouseTracking(True)
        self.top_n = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.top_n.setRange(1, 200)
        self.top_n.setValue(40)
        self.top_n.setToolTip("Number of strongest patch pairs drawn")
        self.sign = QtWidgets.QComboBox(self)
        self.sign.addItems(list(SIGNS))
        self.info = QtWidgets.QLabel("Select a neighbour to see why it is similar.", self)
        self.info.setWordWrap(True)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("top pairs:"))
        bar.addWidget(self.top_n, 1)
        bar.addWidget(self.sign)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.info)
        self.top_n.valueChanged.connect(lambda _v: self.redraw())
        self.sign.currentIndexChanged.connect(lambda _i: self.redraw())
        self.patches: list[QtWidgets.QGraphicsRectItem] = []
        self.items: list[PairLine] = []

    def show_pair(self, image: np.ndarray, mask: np.ndarray | None, other: np.ndarray,
                  other_mask: np.ndarray | None, lines: BilrpLines, caption: str = "") -> None:
        """Show two grey slices (H, W) and the BiLRP lines between them."""
        self.scene.clear()
        self.items, self.patches, self.lines, self.caption = [], [], lines, caption
        self.width_px = image.shape[1]
        left = self.scene.addPixmap(to_pixmap(input_rgba(image, mask), image.shape[1]))
        right = self.scene.addPixmap(to_pixmap(input_rgba(other, other_mask), other.shape[1]))
        left.setZValue(-2)
        right.setZValue(-2)
        right.setOffset(self.width_px + GAP, 0)
        self.top_n.setMaximum(max(1, len(lines.segments)))
        self.redraw()
        self.graphics.fitInView(self.scene.itemsBoundingRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def redraw(self) -> None:
        """Draw the lines that pass the top-N and sign filters."""
        for item in self.items:
            self.scene.removeItem(item)
        self.items = []
        if self.lines is None:
            return
        for segment in visible_segments(self.lines, self.top_n.value(), self.sign.currentText()):
            item = PairLine(segment, self.width_px + GAP, self)
            self.scene.addItem(item)
            self.items.append(item)
        self.info.setText(f"{getattr(self, 'caption', '')}  {len(self.items)} pair(s) drawn; "
                          f"total BiLRP relevance {self.lines.total:.3f}")

    def hovered(self, segment: LineSegment | None) -> None:
        """Highlight a pair's two patches (or clear) and show its value."""
        for rect in self.patches:
            self.scene.removeItem(rect)
        self.patches = []
        if segment is None or self.lines is None:
            return
        half = self.lines.pool / 2.0
        pen = QtGui.QPen(QtGui.QColor(0, 200, 120), 2)
        pen.setCosmetic(True)
        for (x, y), dx in ((segment.start, 0.0), (segment.end, self.width_px + GAP)):
            rect = self.scene.addRect(x + 0.5 - half + dx, y + 0.5 - half, 2 * half, 2 * half, pen)
            self.patches.append(rect)
        self.info.setText(f"pair R = {segment.value:+.4g} (strength {segment.strength:.2f}) between "
                          f"query ({segment.start[0]:.0f}, {segment.start[1]:.0f}) and neighbour "
                          f"({segment.end[0]:.0f}, {segment.end[1]:.0f})")

    def drawn(self) -> Sequence[LineSegment]:
        """Segments drawn now."""
        return [item.segment for item in self.items]
