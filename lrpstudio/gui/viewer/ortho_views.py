"""The three linked slice views: one large view on the left, the other two stacked on the right.

Any plane can be the large one (:meth:`OrthoViews.set_large`, View > Next large view).
With linked navigation on (the default), zooming or panning one view zooms the others to
the same scale (screen pixels per mm) and pans them so the point in the middle of the
view that moved is in the middle of theirs along the axes they share.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.viewer.geometry import PLANES
from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.tool_handler import ToolHandler
from lrpstudio.gui.viewer.view_state import ViewState


class OrthoViews(QtWidgets.QWidget):
    """One large view on the left, the other two stacked on the right."""

    large_changed = QtCore.Signal(str)

    def __init__(self, state: ViewState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.views: dict[str, SliceView] = {p: SliceView(state, p, self) for p in PLANES}
        self.active_plane = "axial"
        self.large_plane = "axial"
        #: Zoom and pan of one view carry over to the others.
        self.linked = True
        self._syncing = False
        for view in self.views.values():
            view.activated.connect(self.set_active)
            view.navigated.connect(self.follow)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        self.side = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self.splitter)
        self.splitter.addWidget(self.views["axial"])
        self.side.addWidget(self.views["coronal"])
        self.side.addWidget(self.views["sagittal"])
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def set_active(self, plane: str) -> None:
        """Make ``plane``'s view the one keyboard slice/zoom commands apply to."""
        self.active_plane = plane

    @property
    def active(self) -> SliceView:
        """The view keyboard slice/zoom commands apply to (last hovered or clicked)."""
        return self.views[self.active_plane]

    def step_slice(self, delta: int) -> None:
        """Move the active view ``delta`` slices."""
        self.state.step(self.active.mapping.slice_axis, delta)

    def set_tool(self, tool: ToolHandler | None) -> None:
        """Give every view the editing tool (None: navigation only)."""
        for view in self.views.values():
            view.tool = tool
            view.update_brush_ring(None)

    # -- layout -------------------------------------------------------------------------
    def set_large(self, plane: str) -> None:
        """Show ``plane`` as the large view; the other two keep their order on the right."""
        if plane not in self.views or plane == self.large_plane:
            return
        sizes = self.splitter.sizes()
        side_sizes = self.side.sizes()
        self.splitter.insertWidget(0, self.views[plane])
        for index, other in enumerate(p for p in PLANES if p != plane):
            self.side.insertWidget(index, self.views[other])
        self.splitter.setSizes(sizes)
        self.side.setSizes(side_sizes)
        self.large_plane = plane
        self.large_changed.emit(plane)
        if self.state.has_volume:
            QtCore.QTimer.singleShot(0, self._refit)  # after the new sizes are laid out

    def next_large(self) -> str:
        """Make the next plane (axial -> coronal -> sagittal -> axial) the large one."""
        plane = PLANES[(PLANES.index(self.large_plane) + 1) % len(PLANES)]
        self.set_large(plane)
        return plane

    def _refit(self) -> None:
        for view in self.views.values():
            view.reset_view()

    # -- linked zoom and pan -------------------------------------------------------------
    def set_linked(self, on: bool) -> None:
        """Link (or unlink) zoom and pan across the three views."""
        self.linked = bool(on)

    def follow(self, plane: str) -> None:
        """Bring the other views to ``plane``'s scale and centre (when linked)."""
        if not self.linked or self._syncing or not self.state.has_volume:
            return
        source = self.views[plane]
        rect = source.viewbox.viewRect()
        width_px = max(source.viewbox.width(), 1.0)
        mm_per_px = rect.width() / width_px
        px, py = source.mapping.pixel_size(self.state.zooms)
        centre = source.mapping.screen_to_axes(rect.center().x() / px, rect.center().y() / py,
                                               self.state.shape)
        self._syncing = True
        try:
            for other in self.views.values():
                if other is not source:
                    self._match(other, centre, mm_per_px)
        finally:
            self._syncing = False

    def _match(self, view: SliceView, centre: dict[int, float], mm_per_px: float) -> None:
        """Show ``view`` at ``mm_per_px`` around ``centre`` on the axes it shares with it."""
        mapping, shape = view.mapping, self.state.shape
        px, py = mapping.pixel_size(self.state.zooms)
        own = view.viewbox.viewRect().center()
        cx = (mapping.axis_to_screen(mapping.x_axis, centre[mapping.x_axis], shape) * px
              if mapping.x_axis in centre else own.x())
        cy = (mapping.axis_to_screen(mapping.y_axis, centre[mapping.y_axis], shape) * py
              if mapping.y_axis in centre else own.y())
        half_w = mm_per_px * max(view.viewbox.width(), 1.0) / 2
        half_h = mm_per_px * max(view.viewbox.height(), 1.0) / 2
        view.viewbox.setRange(xRange=(cx - half_w, cx + half_w), yRange=(cy - half_h, cy + half_h),
                              padding=0)
