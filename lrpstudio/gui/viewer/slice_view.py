"""One orthogonal slice view (pyqtgraph ImageItem based); the three linked ones: :mod:`.ortho_views`.

Mouse, in every view:
left click/drag moves the crosshair (or paints, when an editing tool takes the press),
right drag sets window (horizontal) and level (vertical), middle drag or Shift+left drag
pans, the wheel changes slice and Ctrl+wheel zooms. The view handles these events
itself instead of pyqtgraph's ViewBox defaults so painting starts on the press, with no
drag threshold, and no gesture is ambiguous.

Display convention: radiological (see :mod:`lrpstudio.gui.viewer.geometry`); every view shows
orientation letters computed from the affine at its four edges.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.viewer.geometry import DISPLAY_CONVENTION, PlaneMapping, plane_mapping
from lrpstudio.app.pictures import outline, outline_segments
from lrpstudio.app.label_stats import difference_map
from lrpstudio.gui.viewer.overlay import CROSSHAIR_COLOUR, difference_lut, styled_lut
from lrpstudio.gui.viewer.tool_handler import ToolHandler
from lrpstudio.gui.viewer.view_state import Region, ViewState, Voxel

__all__ = ["SliceView", "ToolHandler"]

_PREVIEW_LUT = np.zeros((256, 4), dtype=np.uint8)
_PREVIEW_LUT[1:] = (0xCC, 0x79, 0xA7, 255)  # Okabe-Ito reddish purple: "not yet applied"


class SliceView(pg.GraphicsView):
    """One plane of the volume with overlay, crosshair and orientation letters."""

    activated = QtCore.Signal(str)       # this view took the focus (plane name)
    hovered = QtCore.Signal(object)      # Voxel under the mouse, or None
    navigated = QtCore.Signal(str)       # the user zoomed or panned this view (plane name)

    def __init__(self, state: ViewState, plane: str,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background="k")
        self.state = state
        self.plane = plane
        self.tool: ToolHandler | None = None
        self.mapping: PlaneMapping = plane_mapping(np.eye(4), plane)
        self._index = -1
        self._drag: dict | None = None
        self._hover_pos: QtCore.QPointF | None = None  # the mouse over this view, or None
        self._build_scene()
        self._build_labels()
        state.volume_changed.connect(self._on_volume)
        state.cursor_changed.connect(self._on_cursor)
        state.modality_changed.connect(lambda _name: self.refresh_image())
        state.modality_changed.connect(lambda _name: self._update_corner())
        state.levels_changed.connect(self._on_levels)
        state.overlay_changed.connect(self.refresh_overlay)
        state.seg_changed.connect(self._on_seg_changed)
        state.preview_changed.connect(self.refresh_preview)
        self.setMouseTracking(True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)

    # -- construction -------------------------------------------------------------------
    def _build_scene(self) -> None:
        self.viewbox = pg.ViewBox(lockAspect=True, invertY=False, enableMenu=False)
        self.viewbox.setMouseEnabled(False, False)
        # Zoom and pan belong to the user: never re-fit when a new slice is set.
        self.viewbox.disableAutoRange()
        self.setCentralItem(self.viewbox)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.overlay = pg.ImageItem(axisOrder="col-major")
        self.preview = pg.ImageItem(axisOrder="col-major")
        self.preview.setOpacity(0.6)
        for z, item in enumerate((self.image, self.overlay, self.preview)):
            item.setZValue(z)
            self.viewbox.addItem(item)
        pen = pg.mkPen(color=CROSSHAIR_COLOUR, width=1)
        self.vline = pg.InfiniteLine(angle=90, pen=pen, movable=False)
        self.hline = pg.InfiniteLine(angle=0, pen=pen, movable=False)
        # The brush cursor: the exact outline of the voxels one dab paints in this plane.
        self.brush_ring = QtWidgets.QGraphicsPathItem()
        self.brush_ring.setPen(pg.mkPen(color=(255, 255, 255), width=1.5, cosmetic=True))
        self.brush_ring.setVisible(False)
        self._ring_key: tuple | None = None
        for z, item in enumerate((self.vline, self.hline, self.brush_ring), start=10):
            item.setZValue(z)
            item.setVisible(False)  # nothing to point at until a case is shown
            self.viewbox.addItem(item, ignoreBounds=True)

    def _build_labels(self) -> None:
        self.edge_labels: dict[str, QtWidgets.QLabel] = {}
        for edge in ("left", "right", "top", "bottom"):
            label = QtWidgets.QLabel("", self)
            label.setObjectName(f"orientation_{edge}")
            label.setStyleSheet("color: #E69F00; font-weight: bold; font-size: 13px;"
                                " background: transparent;")
            label.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self.edge_labels[edge] = label
        self.info = QtWidgets.QLabel("", self)
        self.info.setStyleSheet("color: #dddddd; background: transparent; font-size: 11px;")
        self.info.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # Top left: the modality shown, and the window/level numbers while they are dragged.
        self.corner = QtWidgets.QLabel("", self)
        self.corner.setObjectName("modality_label")
        self.corner.setStyleSheet("color: #dddddd; background: transparent; font-size: 11px;"
                                  " font-weight: bold;")
        self.corner.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._place_labels()

    def _place_labels(self) -> None:
        if not hasattr(self, "info"):
            return  # pyqtgraph resizes once inside its own __init__
        w, h = self.width(), self.height()
        for label in (*self.edge_labels.values(), self.info):
            label.adjustSize()
        lab = self.edge_labels
        lab["left"].move(4, h // 2 - lab["left"].height() // 2)
        lab["right"].move(w - lab["right"].width() - 4, h // 2 - lab["right"].height() // 2)
        lab["top"].move(w // 2 - lab["top"].width() // 2, 2)
        self.info.move(4, h - self.info.height() - 2)
        self.corner.adjustSize()
        self.corner.move(4, 2)
        bottom = lab["bottom"]
        x = w // 2 - bottom.width() // 2
        y = h - bottom.height() - 2
        if self.info.text() and x < self.info.geometry().right() + 6:
            y = self.info.y() - bottom.height()  # a narrow view: above the slice label
        bottom.move(x, y)

    # -- state -> drawing ---------------------------------------------------------------
    @property
    def slice_index(self) -> int:
        """Index of the shown slice along the plane's voxel axis."""
        return int(self.state.cursor[self.mapping.slice_axis])

    def _on_volume(self) -> None:
        self.mapping = plane_mapping(self.state.affine, self.plane)
        px, py = self.mapping.pixel_size(self.state.zooms)
        # A scale transform, not setRect: it must not depend on the image set later.
        scale = QtGui.QTransform.fromScale(px, py)
        for item in (self.image, self.overlay, self.preview):
            item.setTransform(scale)
        for edge, label in self.edge_labels.items():
            label.setText(self.mapping.labels[edge])
        self._index = -1
        self.vline.setVisible(True)
        self.hline.setVisible(True)
        self.refresh_image()
        self.refresh_overlay()
        self.refresh_preview()
        self.refresh_crosshair()
        self.reset_view()
        self._update_corner()
        self._place_labels()
        self._rehover()

    def _on_cursor(self, _voxel: Voxel) -> None:
        if self.slice_index != self._index:
            self.refresh_image()
            self.refresh_overlay()
            self.refresh_preview()
            self._rehover()
        self.refresh_crosshair()

    def _rehover(self) -> None:
        """Report the voxel under a still mouse again: the slice (or case) under it changed."""
        if self._hover_pos is not None:
            self.hovered.emit(self.voxel_at(self._hover_pos))

    def _on_levels(self, modality: str) -> None:
        if modality == self.state.modality:
            self.image.setLevels(self.state.current_levels())
            self._update_corner()

    def _on_seg_changed(self, region: Region | None) -> None:
        lo_hi = None if region is None else region[self.mapping.slice_axis]
        if lo_hi is None or lo_hi[0] <= self.slice_index < lo_hi[1]:
            self.refresh_overlay()

    def refresh_image(self) -> None:
        """Redraw the grey image of the current slice and modality."""
        if not self.state.has_volume:
            return
        self._index = self.slice_index
        plane = self.mapping.extract(self.state.images[self.state.modality], self._index)
        self.image.setImage(plane, autoLevels=False, levels=self.state.current_levels())
        self._update_info()

    def refresh_overlay(self) -> None:
        """Redraw the segmentation overlay of the current slice (in compare mode: where the
        corrected mask differs from the original)."""
        style = self.state.style
        seg = self.state.seg
        if seg is None or not style.visible or style.opacity <= 0:
            self.overlay.setVisible(False)
            return
        labels = self.mapping.extract(seg, self.slice_index)
        original = self.state.original if self.state.compare else None
        if original is not None:
            labels = difference_map(self.mapping.extract(original, self.slice_index), labels)
        if not labels.any():
            self.overlay.setVisible(False)  # most slices hold no tumour: skip the blend
            return
        if style.outline:
            labels = outline(np.ascontiguousarray(labels))
        lut = difference_lut(1.0 if style.outline else style.opacity) if original is not None \
            else styled_lut(style)
        self.overlay.setImage(labels, autoLevels=False, levels=(0, 255), lut=lut)
        self.overlay.setVisible(True)

    def refresh_preview(self) -> None:
        """Draw (or hide) the interpolation preview of the current slice."""
        preview = self.state.preview
        if preview is None:
            self.preview.setVisible(False)
            return
        mask = self.mapping.extract(preview, self.slice_index).astype(np.uint8)
        if not mask.any():
            self.preview.setVisible(False)
            return
        self.preview.setImage(mask, autoLevels=False, levels=(0, 255), lut=_PREVIEW_LUT)
        self.preview.setVisible(True)

    def refresh_crosshair(self) -> None:
        """Put the crosshair lines on the cursor."""
        sx, sy = self.mapping.to_screen(self.state.cursor, self.state.shape)
        px, py = self.mapping.pixel_size(self.state.zooms)
        self.vline.setValue(sx * px)
        self.hline.setValue(sy * py)
        # Repaint the whole view: the scene's partial update of a moved InfiniteLine left
        # the old line on screen (e.g. the previous case's crosshair after a case change).
        self.viewport().update()

    def _update_info(self) -> None:
        n = self.state.shape[self.mapping.slice_axis]
        # Voxel index as everywhere else in the app (z27 = volume[:, :, 27]), then the
        # 1-based position for orientation.
        letter = "xyz"[self.mapping.slice_axis]
        self.info.setText(f"{self.plane.capitalize()} {letter}{self._index} ({self._index + 1}/{n})")
        self.info.setToolTip(f"{self.state.modality.upper()}, {DISPLAY_CONVENTION} display; "
                             f"{letter}{self._index} is voxel index {self._index} (0-based) of {n}")
        self._place_labels()  # the label's width changed: keep the bottom letter clear of it

    def _update_corner(self) -> None:
        """Name the modality; while window/level is dragged, show its numbers too."""
        if not self.state.has_volume:
            self.corner.setText("")
            return
        text = self.state.modality.upper()
        if self._drag is not None and self._drag.get("mode") == "levels":
            low, high = self.state.current_levels()
            text += f"  W {high - low:.0f}  L {(high + low) / 2:.0f}"
        self.corner.setText(text)
        self.corner.adjustSize()

    # -- view control -------------------------------------------------------------------
    def reset_view(self) -> None:
        """Fit the slice into the view."""
        self.viewbox.autoRange(items=[self.image], padding=0.02)

    def zoom(self, factor: float, centre: QtCore.QPointF | None = None) -> None:
        """Zoom by ``factor`` (>1 magnifies) around a view point (default: the crosshair)."""
        if centre is None:
            centre = QtCore.QPointF(self.vline.value(), self.hline.value())
        self.viewbox.scaleBy((1 / factor, 1 / factor), center=centre)
        self.navigated.emit(self.plane)

    def _scene(self, pos: QtCore.QPointF | QtCore.QPoint) -> QtCore.QPointF:
        # pyqtgraph defers the view matrix to the next paint; input may come first.
        self.viewbox.updateMatrix()
        point = pos if isinstance(pos, QtCore.QPoint) else pos.toPoint()
        return self.mapToScene(point)

    def voxel_at(self, pos: QtCore.QPointF | QtCore.QPoint) -> Voxel | None:
        """The voxel under a widget position, or None outside the volume."""
        if not self.state.has_volume:
            return None
        local = self.image.mapFromScene(self._scene(pos))
        return self.mapping.to_voxel(local.x(), local.y(), self.slice_index, self.state.shape)

    def widget_pos_of(self, voxel: Voxel) -> QtCore.QPoint:
        """Widget position of a voxel's centre (for tests and benchmarks)."""
        sx, sy = self.mapping.to_screen(voxel, self.state.shape)
        self.viewbox.updateMatrix()
        scene = self.image.mapToScene(QtCore.QPointF(sx, sy))
        return self.mapFromScene(scene)

    def update_brush_ring(self, pos: QtCore.QPointF | None) -> None:
        """Outline, around the voxel under the mouse, exactly the voxels a dab would paint."""
        mask = self.tool.brush_mask(self.mapping.slice_axis) if self.tool is not None else None
        voxel = self.voxel_at(pos) if pos is not None and mask is not None else None
        if voxel is None or mask is None:
            self.brush_ring.setVisible(False)
            return
        # The core gives the section with the in-plane voxel axes in increasing order;
        # put the screen's x axis first. Footprints are symmetric, so flips do not matter.
        if self.mapping.x_axis > self.mapping.y_axis:
            mask = mask.T
        px, py = self.mapping.pixel_size(self.state.zooms)
        key = (mask.shape, mask.tobytes(), px, py)
        if key != self._ring_key:
            self._ring_key = key
            self.brush_ring.setPath(_outline_path(mask, px, py))
        sx, sy = self.mapping.to_screen(voxel, self.state.shape)
        cx, cy = mask.shape[0] // 2, mask.shape[1] // 2
        self.brush_ring.setPos((int(sx) - cx) * px, (int(sy) - cy) * py)
        self.brush_ring.setVisible(True)

    # -- mouse --------------------------------------------------------------------------
    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.activated.emit(self.plane)
        self.setFocus()
        pos = event.position()
        button, mods = event.button(), event.modifiers()
        shift = bool(mods & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if button == QtCore.Qt.MouseButton.RightButton and self.state.has_volume:
            self._drag = {"mode": "levels", "start": pos, "levels": self.state.current_levels()}
            self._update_corner()
        elif button == QtCore.Qt.MouseButton.MiddleButton or (
                button == QtCore.Qt.MouseButton.LeftButton and shift):
            self._drag = {"mode": "pan", "last": pos}
        elif button == QtCore.Qt.MouseButton.LeftButton:
            voxel = self.voxel_at(pos)
            if voxel is not None and self.tool is not None and self.tool.press(self, voxel):
                self._drag = {"mode": "tool"}
            else:
                self._drag = {"mode": "cursor"}
                if voxel is not None:
                    self.state.set_cursor(voxel)
        event.accept()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt API
        pos = event.position()
        self._hover_pos = pos
        voxel = self.voxel_at(pos)
        self.hovered.emit(voxel)
        self.update_brush_ring(pos)
        drag = self._drag
        if drag is None:
            return
        if drag["mode"] == "levels":
            delta = pos - drag["start"]
            self.state.drag_levels(delta.x(), delta.y(), drag["levels"])
        elif drag["mode"] == "pan":
            last = self.viewbox.mapSceneToView(self._scene(drag["last"]))
            now = self.viewbox.mapSceneToView(self._scene(pos))
            self.viewbox.translateBy(x=last.x() - now.x(), y=last.y() - now.y())
            drag["last"] = pos
            self.navigated.emit(self.plane)
        elif drag["mode"] == "tool" and voxel is not None and self.tool is not None:
            self.tool.move(self, voxel)
        elif drag["mode"] == "cursor" and voxel is not None:
            self.state.set_cursor(voxel)
        event.accept()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag is not None and self._drag["mode"] == "tool" and self.tool is not None:
            self.tool.release(self)
        levels = self._drag is not None and self._drag["mode"] == "levels"
        self._drag = None
        if levels:
            self._update_corner()  # the numbers go with the drag; the panel keeps them
        event.accept()

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt API
        # Qt sends press, release, double click, release: the first click already went to
        # the tool as a press; the double click goes to it as itself (not a second press).
        voxel = self.voxel_at(event.position())
        if (event.button() == QtCore.Qt.MouseButton.LeftButton and voxel is not None
                and self.tool is not None):
            self.tool.double_click(self, voxel)
        event.accept()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 - Qt API
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        if event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
            centre = self.viewbox.mapSceneToView(self._scene(event.position()))
            self.zoom(1.2 ** steps, centre)
        else:
            self.activated.emit(self.plane)
            self.state.step(self.mapping.slice_axis, 1 if steps > 0 else -1)
        event.accept()

    def enterEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt API
        self.activated.emit(self.plane)
        super().enterEvent(event)

    def leaveEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt API
        self._hover_pos = None
        self.hovered.emit(None)
        self.brush_ring.setVisible(False)
        super().leaveEvent(event)


def _outline_path(mask: np.ndarray, px: float, py: float) -> QtGui.QPainterPath:
    """Pixel-edge outline of a 2D mask as a path in view units (pixel (i, j) at the origin)."""
    path = QtGui.QPainterPath()
    for (a0, a1), (b0, b1) in outline_segments(mask):
        path.moveTo(a0 * px, a1 * py)
        path.lineTo(b0 * px, b1 * py)
    return path
