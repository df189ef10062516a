"""The relevance layer's colour bar, drawn in a corner of the axial view.

It names the run and composite, shows the colour ramp with the run's scale at its ends
(``0 … +vmax``, or ``−vmax … 0 … +vmax`` for both signs) and says when the layer is
computing or stale, so a dimmed picture is never mistaken for the current slice's.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.relevance_layer import layer_ramp

#: Colour of the status text (Okabe-Ito orange, as the orientation letters).
STATUS_COLOUR = "#E69F00"


class RelevanceColourBar(QtWidgets.QWidget):
    """A small translucent panel: title, colour ramp, scale labels and status line."""

    RAMP_WIDTH, RAMP_HEIGHT = 150, 10

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setObjectName("relevance_colour_bar")
        self.title, self.status, self.sign = "", "", "positive"
        self.vmax: float | None = None
        self._ramp = QtGui.QImage()
        self._set_ramp("positive")
        # Below the view's modality name (top-left, about 16 px high), not over it.
        self.move(6, 22)

    def _set_ramp(self, sign: str) -> None:
        rgba = np.ascontiguousarray(layer_ramp(sign, self.RAMP_WIDTH, self.RAMP_HEIGHT))
        self._ramp = QtGui.QImage(rgba.data, rgba.shape[1], rgba.shape[0], 4 * rgba.shape[1],
                                  QtGui.QImage.Format.Format_RGBA8888).copy()

    def set_scale(self, title: str, vmax: float | None, sign: str) -> None:
        """Title (run · composite), the scale's top (None: not known yet) and the sign mode."""
        if sign != self.sign:
            self._set_ramp(sign)
        self.title, self.vmax, self.sign = title, vmax, sign
        self._fit()

    def set_status(self, text: str) -> None:
        """The status line ("computing…", "stale", an error); empty hides it."""
        self.status = text
        self._fit()

    def labels(self) -> list[str]:
        """The scale labels under the ramp, left to right."""
        if self.vmax is None:
            return ["0", "…"] if self.sign == "positive" else ["−", "0", "+"]
        top = f"{self.vmax:.2g}"
        return ["0", f"+{top}"] if self.sign == "positive" else [f"−{top}", "0", f"+{top}"]

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        width = max(self.RAMP_WIDTH, metrics.horizontalAdvance(self.title),
                    metrics.horizontalAdvance(self.status)) + 12
        lines = 3 + (1 if self.status else 0)
        self.resize(min(width, 260), lines * metrics.height() + self.RAMP_HEIGHT - metrics.height() + 10)
        self.update()

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(0, 0, 0, 170))
        painter.drawRoundedRect(self.rect(), 4, 4)
        metrics = self.fontMetrics()
        h, x = metrics.height(), 6
        painter.setPen(QtGui.QColor("#dddddd"))
        title = metrics.elidedText(self.title, QtCore.Qt.TextElideMode.ElideMiddle, self.width() - 12)
        painter.drawText(x, 3 + metrics.ascent(), title)
        top = 5 + h
        painter.drawImage(QtCore.QRect(x, top, self.RAMP_WIDTH, self.RAMP_HEIGHT), self._ramp)
        labels, base = self.labels(), top + self.RAMP_HEIGHT + 1 + metrics.ascent()
        for i, text in enumerate(labels):
            centre = x + self.RAMP_WIDTH * i / (len(labels) - 1)
            width = metrics.horizontalAdvance(text)
            left = min(max(centre - width / 2, x), x + self.RAMP_WIDTH - width)
            painter.drawText(int(left), base, text)
        if self.status:
            painter.setPen(QtGui.QColor(STATUS_COLOUR))
            painter.drawText(x, base + h, metrics.elidedText(self.status, QtCore.Qt.TextElideMode.ElideRight,
                                                             self.width() - 12))
        painter.end()
