"""What an editing tool offers the slice views: the press, move and release of a stroke."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from lrpstudio.gui.viewer.view_state import Voxel

if TYPE_CHECKING:  # the views import this module
    from lrpstudio.gui.viewer.slice_view import SliceView


class ToolHandler(Protocol):
    """What an editing controller offers a view (see editing_controller.py)."""

    def press(self, view: "SliceView", voxel: Voxel) -> bool:
        """Start a stroke at ``voxel``; False leaves the press to navigation."""

    def move(self, view: "SliceView", voxel: Voxel) -> None:
        """Continue the stroke."""

    def release(self, view: "SliceView") -> None:
        """Finish the stroke."""

    def double_click(self, view: "SliceView", voxel: Voxel) -> None:
        """A double click (the Polygon tool closes its outline)."""

    def brush_mask(self, slice_axis: int) -> np.ndarray | None:
        """The brush section in the plane normal to ``slice_axis`` (2D bool, in-plane
        voxel axes in increasing order), or None when no brush is active."""
