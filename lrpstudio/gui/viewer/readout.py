"""The status-bar readout of the voxel under the mouse, and the display-convention label."""

from __future__ import annotations

from PySide6 import QtWidgets

from lrpstudio.gui.viewer.geometry import DISPLAY_CONVENTION
from lrpstudio.gui.viewer.ortho_views import OrthoViews
from lrpstudio.gui.viewer.view_state import ViewState, Voxel


class VoxelReadout(QtWidgets.QLabel):
    """Index, every modality's value and the label of the voxel under the mouse in any view."""

    def __init__(self, state: ViewState, views: OrthoViews, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("", parent)
        self.state = state
        self.setObjectName("readout")
        for view in views.views.values():
            view.hovered.connect(self.show_voxel)

    def show_voxel(self, voxel: Voxel | None) -> None:
        """Describe ``voxel`` (None: the mouse left the views)."""
        self.setText(self.state.describe(voxel) if voxel is not None and self.state.has_volume else "")


def convention_label(parent: QtWidgets.QWidget | None = None) -> QtWidgets.QLabel:
    """Which way the views show the patient (radiological: patient left on screen right)."""
    return QtWidgets.QLabel(f"display: {DISPLAY_CONVENTION} (patient left on screen right)", parent)
