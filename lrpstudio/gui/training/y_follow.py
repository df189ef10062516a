"""The live loss plot's y range, grown in steps to round bounds instead of fitted at every redraw.

pyqtgraph's auto-range fitted the loss axis to the data at each redraw, and a training
loss reaches a new low every few batches: each time the axis and its grid were drawn
again (10-20 ms of the GUI thread on 2 cores while the run trained, the largest part
of a redraw). Here the range snaps outwards to half decades on the log axis, or to
0 .. a round number on a linear one, and moves only when a point falls outside it.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg

from lrpstudio.gui.training.x_follow import nice_ceiling

#: bounds of a log axis fall on multiples of this many decades
LOG_STEP = 0.5


def stepped_bounds(low: float, high: float, log: bool) -> tuple[float, float]:
    """Round bounds that contain ``[low, high]``.

    Parameters
    ----------
    low, high
        The data's extent in view units (log10 of the values on a log axis).
    log
        Whether the axis is logarithmic.

    Returns
    -------
    tuple of float
        Half decades around the data on a log axis; on a linear one 0 (or the negated
        round number below a negative ``low``) up to the round number above ``high``.
    """
    if log:
        bottom = math.floor(low / LOG_STEP) * LOG_STEP
        top = math.ceil(high / LOG_STEP) * LOG_STEP
        return bottom, top if top > bottom else bottom + LOG_STEP
    bottom = 0.0 if low >= 0 else -nice_ceiling(-low)
    return bottom, nice_ceiling(high)


class SteppedYFollow:
    """Keeps the live data inside ``view``'s y range, moving it only in steps.

    As with :class:`~lrpstudio.gui.training.x_follow.SteppedXFollow`: it follows only
    while the view would follow the data anyway (y auto-range on); a vertical zoom or pan
    by the user stops it, and :meth:`fit` hands back to pyqtgraph's exact fit.
    """

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.stepping = False
        view.sigRangeChangedManually.connect(self._by_hand)

    def _by_hand(self, mask: Any) -> None:
        if mask is None or len(mask) < 2 or mask[1]:
            self.stepping = False  # the user moved the y range: leave it to them

    def follow(self, low: float, high: float, log: bool) -> None:
        """Take in the data's extent ``[low, high]`` (view units), stepping if it left the range.

        Parameters
        ----------
        low, high
            The extent of the points drawn (log10 of the values on a log axis).
        log
            Whether the axis is logarithmic.
        """
        if not (math.isfinite(low) and math.isfinite(high)):
            return
        if not self.stepping:
            if not self.view.autoRangeEnabled()[1]:
                return  # the user's zoom: not ours to move
            self.view.enableAutoRange(y=False)
            self.stepping = True
        else:
            bottom, top = self.view.viewRange()[1]
            if low >= bottom and high <= top:
                return  # still inside: the axis and its grid stay as drawn
        self.view.setYRange(*stepped_bounds(low, high, log), padding=0)

    def restart(self) -> None:
        """A new run: follow its data from scratch, whatever the range was before."""
        self.stepping = False
        self.view.enableAutoRange(y=True)

    def fit(self) -> None:
        """Stop stepping and let pyqtgraph fit the y range to the data again."""
        if self.stepping:
            self.stepping = False
            self.view.enableAutoRange(y=True)
