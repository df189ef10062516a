"""Interactive BiLRP line view: query and neighbour side by side, patch pairs as lines.

Red lines: the pair makes the two slices more similar; blue: less similar; opacity by
strength (``|R| / max|R|``). The view receives many pairs (up to :data:`lrpstudio.app.similar.MAX_PAIRS`, with no
threshold) so that the top-N slider ranges over all of them; a minimum-strength box is
the separate soft threshold, and a sign filter chooses the sign. Hovering a line
highlights it and its two patches and shows its value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.similar import BilrpLines, LineSegment
from lrpstudio.app.pictures import NEGATIVE_RGB, POSITIVE_RGB, input_rgba
from lrpstudio.gui.common.heat_tiles import to_pixmap

GAP = 8  # pixels between the two images
SIGNS: tuple[str, ...] = ("both signs", "positive only", "negative only")
DEFAULT_TOP = 40
PLACEHOLDER = "Select a neighbour thumbnail on the left to see why it is similar."


def visible_segments(lines: BilrpLines, top_n: int, sign: str,
                     min_strength: float = 0.0) -> list[LineSegment]:
    """The ``top_n`` strongest segments passing the sign and strength filters, strongest last.

    Parameters
    ----------
    lines
        The BiLRP pairs (weakest first).
    top_n
        Most segments returned (0: none).
    sign
        One of :data:`SIGNS`.
    min_strength
        Segments whose strength (``|R| / max|R|``) is under this are dropped.
    """
    keep = [s for s in lines.segments if s.strength >= min_strength and (
        sign == SIGNS[0] or (sign == SIGNS[1] and s.value > 0) or (sign == SIGNS[2] and s.value < 0))]
    return keep[-top_n:] if top_n > 0 else []


class PairLine(QtWidgets.QGraphicsLineItem):
    """One patch pair; highlights itself on hover and reports its segment."""

    def __init__(self, segment: LineSegment, offset: float, view: "BilrpView") -> None:
        super().__init__(segment.start[0] + 0.5, segment.start[1] + 0.5,
                         segment.end[0] + 0.5 + offset, segment.end[1] + 0.5)
        self.segment, self.view = segment, view
        colour = QtGui.QColor.fromRgbF(*(POSITIVE_RGB if segment.value > 0 else NEGATIVE_RGB))
        colour.setAlphaF(max(0.15, segment.strength))
        self.base = QtGui.QPen(colour, 1.2)
        self.base.setCosmetic(True)
        self.setPen(self.base)
        self.setAcceptHoverEvents(True)

    def hoverEnterEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt API
        pen = QtGui.QPen(self.base)
        colour = pen.color()
        colour.setAlphaF(1.0)
        pen.setColor(colour)
        pen.setWidthF(3.5)
        self.setPen(pen)
        self.setZValue(10)
        self.view.hovered(self.segment)

    def hoverLeaveEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt API
        self.setPen(self.base)
        self.setZValue(0)
        self.view.hovered(None)


class BilrpView(QtWidgets.QWidget):
    """Query | neighbour with BiLRP lines, a top-N slider, filters and a hover read-out.

    Before a pair is shown (or while one is computed) a centred message replaces the
    empty picture area.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: BilrpLines | None = None
        self.caption = ""
        self.width_px = 0
        self.wanted_top = DEFAULT_TOP  # the user's choice, kept across neighbours
        self.patches: list[QtWidgets.QGraphicsRectItem] = []
        self.items: list[PairLine] = []
        self.scene = QtWidgets.QGraphicsScene(self)
        self.graphics = QtWidgets.QGraphicsView(self.scene, self)
        self.graphics.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.graphics.setMouseTracking(True)
        self.placeholder = QtWidgets.QLabel(PLACEHOLDER, self)
        self.placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(24)
        font = self.placeholder.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.placeholder.setFont(font)
        self.placeholder.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        self.stack = QtWidgets.QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.graphics)
        self.info = QtWidgets.QLabel("", self)
        self.info.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._controls())
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.info)
        self._enable(False)

    def _controls(self) -> QtWidgets.QHBoxLayout:
        self.top_n = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.top_n.setRange(1, DEFAULT_TOP)
        self.top_n.setValue(DEFAULT_TOP)
        self.top_n.setToolTip("Number of strongest patch pairs drawn")
        self.top_n.setMinimumWidth(110)  # a squeezed slider cannot be dragged
        self.top_label = QtWidgets.QLabel("", self)
        self.top_label.setMinimumWidth(self.top_label.fontMetrics().horizontalAdvance("0000 of 0000"))
        self.min_strength = QtWidgets.QDoubleSpinBox(self)
        self.min_strength.setRange(0.0, 0.95)
        self.min_strength.setSingleStep(0.05)
        self.min_strength.setPrefix("min strength ")
        self.min_strength.setToolTip("Hide pairs weaker than this fraction of the strongest |R|")
        self.sign = QtWidgets.QComboBox(self)
        self.sign.addItems(list(SIGNS))
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("top pairs:"))
        bar.addWidget(self.top_n, 1)
        bar.addWidget(self.top_label)
        bar.addWidget(self.min_strength)
        bar.addWidget(self.sign)
        self.top_n.valueChanged.connect(self._top_changed)
        self.min_strength.valueChanged.connect(lambda _v: self.redraw())
        self.sign.currentIndexChanged.connect(lambda _i: self.redraw())
        return bar

    def _enable(self, on: bool) -> None:
        for widget in (self.top_n, self.min_strength, self.sign):
            widget.setEnabled(on)

    def _top_changed(self, value: int) -> None:
        self.wanted_top = value
        self.redraw()

    def show_message(self, text: str = PLACEHOLDER) -> None:
        """Forget the pair shown and show ``text`` centred in the picture area."""
        self._clear_patches()
        self.scene.clear()
        self.items, self.lines, self.caption = [], None, ""
        self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder)
        self.info.setText("")
        self._enable(False)
        self.top_label.setText("")

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
        self.top_n.blockSignals(True)  # the new range must not overwrite the user's choice
        self.top_n.setMaximum(max(1, len(lines.segments)))
        self.top_n.setValue(min(self.wanted_top, self.top_n.maximum()))
        self.top_n.blockSignals(False)
        self.stack.setCurrentWidget(self.graphics)
        self._enable(True)
        self.redraw()
        self.graphics.fitInView(self.scene.itemsBoundingRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.lines is not None:  # keep the pair filling the view when the splitter moves
            self.graphics.fitInView(self.scene.itemsBoundingRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def redraw(self) -> None:
        """Draw the lines that pass the top-N, strength and sign filters."""
        self._clear_patches()  # the hovered line may be gone: its patch boxes must go too
        for item in self.items:
            self.scene.removeItem(item)
        self.items = []
        if self.lines is None:
            return
        top = self.top_n.value()
        self.top_label.setText(f"{top} of {len(self.lines.segments)}")
        for segment in visible_segments(self.lines, top, self.sign.currentText(), self.min_strength.value()):
            item = PairLine(segment, self.width_px + GAP, self)
            self.scene.addItem(item)
            self.items.append(item)
        self.info.setText(f"{self.caption}  {len(self.items)} pair(s) drawn; "
                          f"total BiLRP relevance {self.lines.total:.3f}")

    def _clear_patches(self) -> None:
        for rect in self.patches:
            if rect.scene() is self.scene:
                self.scene.removeItem(rect)
        self.patches = []

    def hovered(self, segment: LineSegment | None) -> None:
        """Highlight a pair's two patches (or clear) and show its value."""
        self._clear_patches()
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
