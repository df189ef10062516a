"""The polygon / lasso being drawn on one slice view, and its outline on screen.

Clicks add corners; a press-and-drag adds every voxel the mouse passes (a freehand
lasso). The outline is drawn through the voxel centres, with a dashed line from the last
corner to the mouse and back to the first corner, so the user sees the polygon that Enter
(or a double click) fills. It shows only while its slice is shown.
Releasing a freehand drag closes the lasso at once. The draft only collects voxels: the
core (:meth:`~lrpstudio.core.editing.session.EditSession.polygon_fill`) decides which
voxels the closed polygon covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.view_state import Voxel

#: Plane names of the core by the voxel axis normal to them (core: axial = third axis).
PLANE_OF_AXIS: dict[int, str] = {0: "sagittal", 1: "coronal", 2: "axial"}
#: Fewest corners of a polygon the core accepts.
MIN_CORNERS = 3
_OUTLINE_COLOUR = (255, 255, 255)
#: Voxels a press must move through to count as a freehand drag (a shaky click is not one).
LASSO_MIN_MOVES = 3


@dataclass(frozen=True)
class ClosedPolygon:
    """A finished outline, ready for the core: plane, slice and ``(u, v)`` corners."""

    plane: str
    index: int
    points: tuple[tuple[int, int], ...]


class PolygonDraft:
    """Corners collected on one view's slice; draws them as a path on that view."""

    def __init__(self) -> None:
        self.view: SliceView | None = None
        self.index = -1
        self.voxels: list[Voxel] = []
        self.moves = 0
        self.hover: Voxel | None = None  # the voxel under the mouse, for the dashed edge
        self._items: dict[int, tuple[QtWidgets.QGraphicsPathItem, QtWidgets.QGraphicsPathItem]] = {}

    @property
    def active(self) -> bool:
        """Whether an outline is being drawn."""
        return bool(self.voxels)

    def press(self, view: SliceView, voxel: Voxel) -> None:
        """A press: the first corner, or one more (another view or slice starts afresh)."""
        if view is not self.view or view.slice_index != self.index:
            self.cancel()
            self.view, self.index = view, view.slice_index
            view.hovered.connect(self._on_hover)
            view.state.cursor_changed.connect(self._on_cursor)
        self.moves = 0
        self._add(voxel)

    def move(self, view: SliceView, voxel: Voxel) -> None:
        """A drag: every voxel passed becomes a corner (the freehand lasso)."""
        if view is self.view and self.voxels and voxel != self.voxels[-1]:
            self.moves += 1
            self._add(voxel)

    def release(self) -> bool:
        """The end of a press; True when it ended a freehand drag that can be closed."""
        return self.moves >= LASSO_MIN_MOVES and len(self._distinct()) >= MIN_CORNERS

    def close(self) -> ClosedPolygon | None:
        """The closed polygon (None when it has fewer than three corners); the draft is cleared."""
        view, index, corners = self.view, self.index, self._distinct()
        self.cancel()
        if view is None or len(corners) < MIN_CORNERS:
            return None
        axis = view.mapping.slice_axis
        u, v = (a for a in range(3) if a != axis)
        return ClosedPolygon(PLANE_OF_AXIS[axis], index, tuple((c[u], c[v]) for c in corners))

    def cancel(self) -> None:
        """Drop the outline."""
        self.voxels = []
        self.moves = 0
        self.hover = None
        if self.view is not None:
            self._draw(self.view)
            for signal, slot in ((self.view.hovered, self._on_hover),
                                 (self.view.state.cursor_changed, self._on_cursor)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):  # not connected (a draft never started)
                    pass
        self.view, self.index = None, -1

    # -- internals ------------------------------------------------------------------------
    def _distinct(self) -> list[Voxel]:
        corners: list[Voxel] = []
        for voxel in self.voxels:
            if not corners or voxel != corners[-1]:
                corners.append(voxel)
        if len(corners) > 1 and corners[0] == corners[-1]:
            corners.pop()
        return corners

    def _on_hover(self, voxel: Voxel | None) -> None:
        if self.view is None or not self.voxels:
            return
        axis = self.view.mapping.slice_axis
        self.hover = voxel if voxel is not None and voxel[axis] == self.index else None
        self._draw(self.view)

    def _on_cursor(self, _voxel: Voxel) -> None:
        if self.view is not None:
            self._draw(self.view)  # hidden on another slice, shown again on its own

    def _add(self, voxel: Voxel) -> None:
        self.voxels.append(voxel)
        assert self.view is not None
        self._draw(self.view)

    def _path_items(self, view: SliceView) -> tuple[QtWidgets.QGraphicsPathItem, QtWidgets.QGraphicsPathItem]:
        key = id(view)
        if key not in self._items:
            solid = QtWidgets.QGraphicsPathItem()
            solid.setPen(pg.mkPen(color=_OUTLINE_COLOUR, width=2, cosmetic=True))
            dashed = QtWidgets.QGraphicsPathItem()
            dashed.setPen(pg.mkPen(color=_OUTLINE_COLOUR, width=1, cosmetic=True,
                                   style=QtCore.Qt.PenStyle.DashLine))
            for item in (solid, dashed):
                item.setZValue(20)  # above the image, the overlay and the crosshair
                view.viewbox.addItem(item, ignoreBounds=True)
            self._items[key] = (solid, dashed)
        return self._items[key]

    def _draw(self, view: SliceView) -> None:
        """The open outline through the corners' centres, and the dashed closing edge."""
        solid, dashed = self._path_items(view)
        px, py = view.mapping.pixel_size(view.state.zooms)
        points = [QtCore.QPointF(sx * px, sy * py) for sx, sy in
                  (view.mapping.to_screen(v, view.state.shape) for v in self.voxels)]
        path, closing = QtGui.QPainterPath(), QtGui.QPainterPath()
        if points:
            path.moveTo(points[0])
            for point in points[1:]:
                path.lineTo(point)
            if len(points) == 1:  # one corner: a small circle, so the click shows
                path.addEllipse(points[0], 0.5 * px, 0.5 * py)
            closing.moveTo(points[-1])
            if self.hover is not None and self.hover != self.voxels[-1]:
                hx, hy = view.mapping.to_screen(self.hover, view.state.shape)
                closing.lineTo(QtCore.QPointF(hx * px, hy * py))
            closing.lineTo(points[0])
        solid.setPath(path)
        dashed.setPath(closing)
        on_slice = view.slice_index == self.index
        solid.setVisible(on_slice)
        dashed.setVisible(on_slice)
        view.viewport().update()
