"""A log axis for the loss plot whose minor labels never overlap."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtGui


class ThinLogAxis(pg.AxisItem):
    """An axis whose log-scale labels never overlap.

    pyqtgraph labels the minor ticks of a log axis (2..9 x 10^k) whenever their total
    text height fits the axis, but those ticks crowd towards each decade's end, so
    labels such as "0.8 0.9 1" were drawn on top of each other. Here a minor label is
    kept only when it is at least a text height away from every label kept before it,
    the round ones (1, 5, 2) first.
    """

    PRIORITY = {1: 0, 5: 1, 2: 2, 3: 3}  # mantissa -> rank; the rest come last

    def tickStrings(self, values: list[float], scale: float,
                    spacing: float | None) -> list[str | None]:  # noqa: N802 - pyqtgraph's name
        """Default strings, with crowded minor log labels left out (None).

        pyqtgraph passes ``spacing=None`` for the minor level of a log axis; the values
        are then log10 of the tick values.
        """
        strings: list[str | None] = list(super().tickStrings(values, scale, spacing))
        if not self.logMode or spacing is not None or not values:
            return strings  # linear axis, or whole decades (evenly spaced already)
        low, high = self.range
        pixels = self.size().height() if self.orientation in ("left", "right") else self.size().width()
        if high <= low or pixels <= 0:
            return strings
        per_unit = pixels / (high - low)
        gap = QtGui.QFontMetricsF(self.font()).height()
        taken: list[float] = []  # pixel positions of the labels kept
        order = sorted(range(len(values)), key=lambda i: self.PRIORITY.get(
            round(10 ** (values[i] - math.floor(values[i] + 1e-9))), 9))
        for i in order:
            at = values[i] * per_unit
            if all(abs(at - other) >= gap for other in taken):
                taken.append(at)
            else:
                strings[i] = None
        return strings
