"""A live plot's x range that grows in steps ahead of the data, not at every new point.

Auto-ranging the live loss plot to its newest point moved its x axis at every redraw,
and with it the two plots linked to it: all three plots, their axes and grids were
repainted (25-45 ms of the GUI thread on 2 cores) where only the loss curves had
changed (5-7 ms). That was the main source of the window's stalls while a run trained.
Here the range starts at 0 and, when the data reaches its end, jumps to the next round
number (1, 2 or 5 x 10^k) past the newest point plus some headroom, so it changes a
dozen times in a long run instead of several times a second.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import pyqtgraph as pg

#: the range's end is at least this multiple of the newest x when it grows
HEADROOM = 1.25


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above ``value`` (1 for a value <= 0 or not finite).

    Parameters
    ----------
    value
        The x the range must reach.
    """
    if not math.isfinite(value) or value <= 0:
        return 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        if mantissa * decade >= value * (1 - 1e-12):
            return mantissa * decade
    return 10.0 * decade  # not reached: 10 x decade is always >= value


class SteppedXFollow:
    """Follows a growing x in ``view`` with a range that changes in steps.

    It follows only while the view would follow the data anyway (x auto-range on, as
    pyqtgraph has it before the user zooms, or after the "A" button): a zoom or pan by
    the user stops it and the range stays theirs. :meth:`fit` hands back to pyqtgraph's
    auto-range, which fits the data exactly (a run's end, a full redraw).

    Parameters
    ----------
    view
        The live plot's view box.
    before_step
        Called just before the range steps (the owner may let linked views go first, so
        they do not all repaint in the same moment).
    """

    def __init__(self, view: pg.ViewBox, before_step: Callable[[], None] | None = None) -> None:
        self.view = view
        self.stepping = False
        self.before_step = before_step
        view.sigRangeChangedManually.connect(self._by_hand)

    def _by_hand(self, _mask: Any) -> None:
        self.stepping = False  # the user zoomed or panned: leave the range to them

    def follow(self, x_end: float) -> None:
        """Keep ``[0, x_end]`` in view, moving the range only when ``x_end`` passes its end.

        Parameters
        ----------
        x_end
            The newest (largest) x drawn.
        """
        if not self.stepping:
            if not self.view.autoRangeEnabled()[0]:
                return  # the user's zoom: not ours to move
            self.view.enableAutoRange(x=False)
            self.stepping = True
        elif x_end <= self.view.viewRange()[0][1]:
            return  # still inside: nothing to repaint beyond the curves
        if self.before_step is not None:
            self.before_step()
        self.view.setXRange(0.0, nice_ceiling(x_end * HEADROOM), padding=0)

    def restart(self) -> None:
        """Follow a new run's data from the range [0, 1], whatever the range was before."""
        self.view.enableAutoRange(x=False)
        self.stepping = True
        self.view.setXRange(0.0, 1.0, padding=0)

    def fit(self) -> None:
        """Stop stepping and let pyqtgraph fit the x range to the data again."""
        if self.stepping:
            self.stepping = False
            self.view.enableAutoRange(x=True)
