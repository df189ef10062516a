"""What an edit session tells its views: which voxels (bounding box) changed and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from .change import Box

EventKind = Literal["stroke", "commit", "step", "undo", "redo", "restore", "saved", "settings"]


@dataclass(frozen=True)
class ChangeEvent:
    """One notification to subscribers (plain callbacks, called synchronously).

    Attributes
    ----------
    kind
        ``"stroke"``: dabs of the stroke in progress were applied. ``"commit"``: a stroke
        ended and became one undo step (voxels already drawn). ``"step"``: a one-shot tool
        (fill, islands, interpolation) changed voxels. ``"undo"``/``"redo"``. ``"restore"``:
        the whole volume was replaced from a journal. ``"saved"``: the dirty flag cleared.
        ``"settings"``: brush, label or mode changed (redraw the cursor; no voxels changed).
    box
        ``((x0, x1), (y0, y1), (z0, z1))``, end exclusive, of the voxels that changed; None
        when no voxel changed.
    voxels
        Number of changed voxels.
    dirty
        The session's dirty flag after the change.
    """

    kind: EventKind
    box: Box | None
    voxels: int
    dirty: bool

    def touches(self, axis: int, index: int) -> bool:
        """Whether the slice ``index`` along ``axis`` holds changed voxels (redraw it)."""
        return self.box is not None and self.box[axis][0] <= index < self.box[axis][1]

    def slices(self, axis: int) -> range:
        """Indices along ``axis`` of the slices that changed (empty when nothing changed)."""
        if self.box is None:
            return range(0)
        return range(self.box[axis][0], self.box[axis][1])


Subscriber = Callable[[ChangeEvent], None]
