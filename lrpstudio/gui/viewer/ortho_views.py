"""The three linked slice views: axial on the left, coronal and sagittal stacked on the right."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.viewer.geometry import PLANES
from lrpstudio.gui.viewer.slice_view import SliceView, ToolHandler
from lrpstudio.gui.viewer.view_state import ViewState


class OrthoViews(QtWidgets.QWidget):
    """Axial main view on the left, coronal and sagittal stacked on the right."""

    def __init__(self, state: ViewState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.views: dict[str, SliceView] = {p: SliceView(state, p, self) for p in PLANES}
        self.active_plane = "axial"
        for view in self.views.values():
            view.activated.connect(self.set_active)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        side = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, splitter)
        splitter.addWidget(self.views["axial"])
        side.addWidget(self.views["coronal"])
        side.addWidget(self.views["sagittal"])
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

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
