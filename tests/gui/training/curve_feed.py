"""Feeding the live training curves by hand: batch points and due redraw ticks."""

from __future__ import annotations

from lrpstudio.gui.training.curves import CurvesWidget


def batch_parts(step: int, scale: float = 1.0, batches: int = 10) -> dict[str, float]:
    """A batch's parts at optimiser ``step``: CE falling as ``scale / step``, a constant guidance."""
    epoch, batch = divmod(step - 1, batches)
    return {"epoch": epoch + 1.0, "batch": batch + 1.0, "batches": float(batches),
            "ce": scale / step, "guidance": 0.5, "total": 0.5 + scale / step}


def due_tick(widget: CurvesWidget) -> None:
    """One redraw timer tick that is due (the time gate opened by hand)."""
    widget._drawn_at = dict.fromkeys(widget._drawn_at, float("-inf"))
    widget._redraw_if_dirty()
