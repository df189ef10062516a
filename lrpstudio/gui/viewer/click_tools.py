"""The click tools of the editing controller: Fill, Grow and Polygon.

Each turns mouse input on a view into one call of the core edit session (one undo
step): Fill → ``flood_fill`` with the panel's criterion, tolerance and 2D/3D choice;
Grow → ``grow_region`` within the panel's range (taken from the seed when asked, and
shown in the range boxes); Polygon → the corners collected by a
:class:`~lrpstudio.gui.viewer.polygon_tool.PolygonDraft`, then ``polygon_fill``.
"""

from __future__ import annotations

from typing import Any, Callable

from lrpstudio.app.editing import EditSession, Plane
from lrpstudio.gui.viewer.polygon_tool import PLANE_OF_AXIS, PolygonDraft
from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.tool_options import ToolOptions
from lrpstudio.gui.viewer.view_state import ViewState, Voxel

#: Tools handled here.
CLICK_TOOLS: tuple[str, ...] = ("fill", "grow", "polygon")


def _plane(view: SliceView) -> Plane:
    name = PLANE_OF_AXIS[view.mapping.slice_axis]
    assert name in ("axial", "coronal", "sagittal")
    return name  # type: ignore[return-value]


class ClickTools:
    """Fill, Grow and Polygon on the session the controller edits.

    Parameters
    ----------
    state
        The view state (the shown modality is the reference intensity of Fill and Grow).
    options
        The panel's tool settings.
    status
        Says what happened in the status bar.
    """

    def __init__(self, state: ViewState, options: ToolOptions, status: Callable[[str], None]) -> None:
        self.state = state
        self.options = options
        self.status = status
        self.polygon = PolygonDraft()

    def press(self, tool: str, session: EditSession, view: SliceView, voxel: Voxel) -> None:
        """A press of ``tool`` at ``voxel``."""
        if tool == "fill":
            self._report(self.fill(session, view, voxel), "flood fill")
        elif tool == "grow":
            self.grow(session, view, voxel)
        elif tool == "polygon":
            self.polygon.press(view, voxel)
            self.status(f"Polygon: {len(self.polygon.voxels)} corner(s); Enter or a double click "
                        "fills, Esc cancels")

    def fill(self, session: EditSession, view: SliceView, voxel: Voxel) -> Any:
        """Flood fill from ``voxel`` with the panel's settings."""
        fill = self.options.fill()
        return session.flood_fill(voxel, plane=None if fill.in_3d else _plane(view),
                                  criterion="intensity" if fill.criterion == "intensity" else "label",
                                  tolerance=fill.tolerance, modality=self.state.modality)

    def grow(self, session: EditSession, view: SliceView, voxel: Voxel) -> Any:
        """Grow a region from ``voxel``; a range taken from the seed is written into the boxes."""
        grow = self.options.grow()
        plane = None if grow.in_3d else _plane(view)
        low, high = grow.low, grow.high
        if grow.from_seed:
            low, high = session.seed_range(voxel, plane, k=grow.k, modality=self.state.modality)
            self.options.show_range(low, high)
        step = session.grow_region(voxel, low, high, plane=plane, modality=self.state.modality)
        where = "3D" if plane is None else "slice"
        self.status(f"grow region [{low:.1f}, {high:.1f}] ({where}): "
                    + (f"{step.change.size} voxels" if step is not None else "nothing to change"))
        return step

    def move(self, view: SliceView, voxel: Voxel) -> None:
        """A drag of the Polygon tool: the freehand lasso."""
        self.polygon.move(view, voxel)

    def release(self, session: EditSession) -> None:
        """The end of a press: a freehand lasso closes and fills."""
        if self.polygon.release():
            self.close_polygon(session)

    def close_polygon(self, session: EditSession) -> Any:
        """Fill (or erase) the polygon drawn so far as one step; too few corners just cancel."""
        closed = self.polygon.close()
        if closed is None:
            self.status("Polygon cancelled: it needs at least three corners")
            return None
        plane: Plane = closed.plane  # type: ignore[assignment]
        erase = self.options.polygon_erase.isChecked()
        step = session.polygon_fill(closed.points, plane, closed.index, erase=erase)
        self._report(step, "polygon erase" if erase else "polygon fill")
        return step

    def cancel(self) -> bool:
        """Drop a polygon being drawn; True when there was one."""
        active = self.polygon.active
        self.polygon.cancel()
        if active:
            self.status("Polygon cancelled")
        return active

    def _report(self, step: Any, name: str) -> None:
        self.status(f"{name}: {step.change.size} voxels" if step is not None
                    else f"{name}: nothing to change")
