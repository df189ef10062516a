"""Mouse and keys -> the core :class:`~lrpstudio.core.editing.session.EditSession`.

All editing logic (brush footprints, paint-over rules, fills, islands, interpolation,
undo/redo, journaling) lives in the core session. This controller only turns a press,
drag and release in a view into ``begin_stroke``/``stroke_to``/``end_stroke`` with voxel
coordinates, triggers one-shot tools, mirrors the brush settings of the tool panel, and
redraws the views from the session's change events (only slices the change touched).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np
from PySide6 import QtCore

from lrpstudio.app.editing import BrushSettings, ChangeEvent, EditSession, InterpolationPreview, Plane, discard_journal
from lrpstudio.gui.viewer.click_tools import CLICK_TOOLS, ClickTools
from lrpstudio.gui.viewer.ortho_views import OrthoViews
from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.tool_panel import ToolPanel
from lrpstudio.gui.viewer.view_state import ViewState, Voxel

#: Core plane names by the voxel axis normal to them (core: axial = third axis).
_CORE_PLANE: dict[int, Plane] = {0: "sagittal", 1: "coronal", 2: "axial"}
TOOLS: tuple[str, ...] = ("navigate", "brush", "eraser", *CLICK_TOOLS)
#: Interval of the journal safety flush; a held, unmoving stroke still reaches the disk.
FLUSH_INTERVAL_MS = 500


class EditingController(QtCore.QObject):
    """Connects the views and the tool panel to one edit session at a time.

    Signals
    -------
    edited(bool)
        The segmentation or its saved state changed; carries the dirty flag.
    """

    edited = QtCore.Signal(bool)

    def __init__(self, state: ViewState, views: OrthoViews, panel: ToolPanel,
                 status: Callable[[str], None],
                 guard: Callable[[Callable[[], object]], None] | None = None) -> None:
        super().__init__(views)
        self.state = state
        self.views = views
        self.panel = panel
        self.status = status
        self.guard = guard or (lambda func: func())
        self.session: EditSession | None = None
        self.case: Any = None
        self.tool = "navigate"
        self.preview: InterpolationPreview | None = None
        #: Slices the user drew on, per voxel axis: the key slices of interpolation.
        self.key_slices: dict[int, set[int]] = {0: set(), 1: set(), 2: set()}
        self._unsubscribe: Callable[[], None] | None = None
        self._cursor_cache: dict[tuple, np.ndarray] = {}
        self.clicks = ClickTools(state, panel.options, status)
        self._flush_timer = QtCore.QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._connect_actions()
        panel.connect_changes(partial(self.guard, self.apply_panel))
        self._sync_actions()

    # -- wiring -----------------------------------------------------------------------
    def _connect_actions(self) -> None:
        a = self.panel.action_map
        table: dict[str, Callable[[], object]] = {
            "edit.undo": self.undo, "edit.redo": self.redo,
            "tool.smaller": lambda: self.resize(-1), "tool.bigger": lambda: self.resize(+1),
            "tool.toggle_3d": self.toggle_3d, "tool.fill_holes": self.fill_holes,
            "tool.fill_holes_3d": self.fill_holes_3d,
            "tool.keep_largest": self.keep_largest, "tool.remove_islands": self.remove_islands,
            "tool.interpolate": self.interpolate, "tool.apply_preview": self.apply_preview,
            "tool.cancel_preview": self.cancel_preview,
        }
        for name in TOOLS:
            table[f"tool.{name}"] = partial(self.set_tool, name)
        for label in (1, 2, 3):
            table[f"label.{label}"] = partial(self.set_target, "label", label)
        for action_id, func in table.items():
            a[action_id].triggered.connect(lambda _c=False, f=func: self.guard(f))

    @property
    def has_session(self) -> bool:
        """Whether a case's mask is open for editing."""
        return self.session is not None

    @property
    def dirty(self) -> bool:
        """Whether the open mask has unsaved edits."""
        return self.session is not None and self.session.dirty

    def attach(self, session: EditSession, case: Any = None) -> None:
        """Edit ``session`` (its seg is already what the views show)."""
        self.detach()
        self.session, self.case = session, case
        self.key_slices = {0: set(), 1: set(), 2: set()}
        self._unsubscribe = session.subscribe(self._on_event)
        self._panel_from_session(session)
        self.apply_panel()
        self._flush_timer.start()
        self._sync_actions()
        self.edited.emit(session.dirty)

    def _panel_from_session(self, session: EditSession) -> None:
        """Show the session's brush in the panel; the intensity range starts at the window."""
        p = self.panel
        blockers = [QtCore.QSignalBlocker(w) for w in (p.radius, p.range_lo, p.range_hi)]
        p.radius.setValue(int(round(session.brush.radius)))
        if not p.range_on.isChecked() and self.state.has_volume:
            lo, hi = self.state.current_levels()
            p.range_lo.setValue(lo)
            p.range_hi.setValue(hi)
        del blockers
        self.panel.action_map["tool.toggle_3d"].setChecked(session.brush.shape == "ball")

    def detach(self) -> None:
        """Stop editing; the session's journal is kept when edits are unsaved."""
        self.cancel_preview()
        self.clicks.cancel()
        if self.session is not None:
            if self.session.in_stroke():
                self.session.end_stroke()
            if self._unsubscribe is not None:
                self._unsubscribe()
            self.session.close()
        self.session, self.case, self._unsubscribe = None, None, None
        self._flush_timer.stop()
        self._sync_actions()

    def discard(self) -> None:
        """Drop unsaved edits: close the session and delete its journal."""
        journal = self.session.journal_file if self.session is not None else None
        self.detach()
        if journal is not None:
            discard_journal(journal)

    # -- tool state ---------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Choose navigate, brush, eraser, fill, grow or polygon."""
        if name != self.tool:
            self.clicks.cancel()  # a half-drawn polygon belongs to the tool left
        self.tool = name
        self.panel.show_tool_options(name)
        self.panel.action_map[f"tool.{name}"].setChecked(True)
        self.views.set_tool(None if name == "navigate" else self)
        self.status(f"Tool: {name}")

    def set_target(self, mode: str, label: int) -> None:
        """Edit one label (``"label"``) or the whole-tumour mask (``"guidance"``)."""
        combo = self.panel.target
        index = combo.findData("guidance" if mode == "guidance" else f"label:{label}")
        if index >= 0:
            combo.setCurrentIndex(index)  # triggers apply_panel

    def apply_panel(self) -> None:
        """Copy the tool panel's brush settings into the session."""
        if self.session is None:
            return
        p = self.panel
        target = str(p.target.currentData())
        if target.startswith("label:"):
            self.session.set_mode("label")
            self.session.set_active_label(int(target.split(":")[1]))
        else:
            self.session.set_mode("guidance")
        span = (min(p.range_lo.value(), p.range_hi.value()),
                max(p.range_lo.value(), p.range_hi.value())) if p.range_on.isChecked() else None
        brush = self.session.brush
        self.session.set_brush(BrushSettings(
            radius=float(p.radius.value()), shape=brush.shape, plane=brush.plane,
            paint_over=p.paint_over.currentData(), intensity_range=span,
            intensity_modality=self.state.modality if span else brush.intensity_modality,
            unit=brush.unit))

    def resize(self, step: int) -> None:
        """[ and ]: shrink or grow the brush."""
        self.panel.radius.setValue(max(0, self.panel.radius.value() + step))
        self.status(f"Brush radius {self.panel.radius.value()}")

    def toggle_3d(self) -> None:
        """D: switch the brush between a 2D disc and a 3D ball."""
        if self.session is None:
            return
        brush = self.session.brush
        shape = "disc" if brush.shape == "ball" else "ball"
        self.session.set_brush(BrushSettings(**{**brush.__dict__, "shape": shape}))
        self.panel.action_map["tool.toggle_3d"].setChecked(shape == "ball")
        self.status("3D brush (ball)" if shape == "ball" else "2D brush (disc)")

    # -- ToolHandler (called by the views) -----------------------------------------------
    def brush_mask(self, slice_axis: int) -> np.ndarray | None:
        """What one dab paints in the plane normal to ``slice_axis`` (for the cursor)."""
        if self.session is None or self.tool not in ("brush", "eraser"):
            return None
        key = (self.session.brush, self.session.spacing, slice_axis)
        if key not in self._cursor_cache:  # recomputed only when the brush changes
            self._cursor_cache = {key: self.session.cursor(_CORE_PLANE[slice_axis])}
        return self._cursor_cache[key]

    def press(self, view: SliceView, voxel: Voxel) -> bool:
        """Start a stroke (or a fill) at ``voxel``; False leaves navigation to the view."""
        if self.session is None or self.tool == "navigate":
            return False
        plane = _CORE_PLANE[view.mapping.slice_axis]
        if self.tool in CLICK_TOOLS:
            session, tool = self.session, self.tool
            self.guard(lambda: self.clicks.press(tool, session, view, voxel))
            return True
        brush = self.session.brush
        if brush.plane != plane:
            self.session.set_brush(BrushSettings(**{**brush.__dict__, "plane": plane}))
        self.session.begin_stroke(erase=self.tool == "eraser")
        self._stroke_to(voxel)
        return True

    def move(self, view: SliceView, voxel: Voxel) -> None:
        """Continue the stroke to ``voxel``."""
        if self.session is not None and self.session.in_stroke():
            self._stroke_to(voxel)
        elif self.tool == "polygon":
            self.clicks.move(view, voxel)

    def _stroke_to(self, voxel: Voxel) -> None:
        """One dab; a failure ends the stroke (keeping what was painted) before it is reported."""
        assert self.session is not None
        try:
            self.session.stroke_to(voxel)
        except Exception:
            self.session.end_stroke()
            raise

    def release(self, view: SliceView) -> None:
        """End the stroke: one undo step."""
        if self.tool == "polygon" and self.session is not None:
            session = self.session
            self.guard(lambda: self.clicks.release(session))
        if self.session is not None and self.session.in_stroke():
            step = self.session.end_stroke()
            if step is not None:
                self.status(f"{step.name}: {step.change.size} voxels")

    # -- one-shot tools -------------------------------------------------------------------
    def _active_plane(self) -> tuple[Plane, int]:
        view = self.views.active
        return _CORE_PLANE[view.mapping.slice_axis], view.slice_index

    def _step(self, step: Any, name: str) -> None:
        self.status(f"{name}: {step.change.size} voxels" if step is not None
                    else f"{name}: nothing to change")

    def undo(self) -> None:
        """Undo the newest step."""
        if self.session is not None:
            step = self.session.undo()
            self.status(f"Undo {step.name}" if step else "Nothing to undo")

    def redo(self) -> None:
        """Redo the newest undone step."""
        if self.session is not None:
            step = self.session.redo()
            self.status(f"Redo {step.name}" if step else "Nothing to redo")

    def fill_holes(self) -> None:
        """Fill holes of the edited layer, slice by slice in the active view's plane."""
        if self.session is not None:
            plane, _ = self._active_plane()
            self._step(self.session.fill_holes(plane=plane), "fill holes")

    def double_click(self, view: SliceView, voxel: Voxel) -> None:
        """A double click closes the polygon being drawn."""
        if self.tool == "polygon" and self.session is not None:
            self.clicks.close_polygon(self.session)

    def fill_holes_3d(self) -> None:
        """Fill the holes of the edited layer that are enclosed in 3D."""
        if self.session is not None:
            self._step(self.session.fill_holes(plane=None), "fill holes 3D")

    def keep_largest(self) -> None:
        """Erase every component of the edited layer but the largest."""
        if self.session is not None:
            self._step(self.session.keep_largest(), "keep largest")

    def remove_islands(self) -> None:
        """Erase components smaller than the panel's size."""
        if self.session is not None:
            self._step(self.session.remove_small_islands(self.panel.island_size.value()),
                       "remove islands")

    def interpolate(self) -> None:
        """Preview interpolation between edited slices of the active plane."""
        if self.session is None:
            return
        plane, _ = self._active_plane()
        axis = self.views.active.mapping.slice_axis
        keys = sorted(self.key_slices[axis])
        # Between the slices drawn on in this plane; with fewer than two, every slice
        # holding the edited layer is a key slice (the core's default).
        self.preview = self.session.preview_interpolation(
            plane=plane, key_slices=keys if len(keys) >= 2 else None)
        self.state.set_preview(self.preview.mask(self.session.shape))
        self.status(f"Interpolation preview: {self.preview.change.size} voxels "
                    "(Enter applies, Esc discards)")

    def apply_preview(self) -> None:
        """Apply the shown interpolation preview, or close the polygon being drawn (Enter)."""
        if self.session is not None and self.clicks.polygon.active:
            self.clicks.close_polygon(self.session)
        elif self.session is not None and self.preview is not None:
            preview, self.preview = self.preview, None
            self.state.set_preview(None)
            self._step(self.session.apply_preview(preview), "interpolate")

    def cancel_preview(self) -> None:
        """Discard the interpolation preview, or cancel the polygon being drawn (Esc)."""
        if self.clicks.cancel():
            return
        if self.preview is not None or self.state.preview is not None:
            self.preview = None
            self.state.set_preview(None)

    # -- session events ---------------------------------------------------------------------
    def _on_event(self, event: ChangeEvent) -> None:
        if event.kind == "settings":
            self.views.active.update_brush_ring(None)
            return
        if event.kind == "restore":
            self.state.set_seg(self.session.seg if self.session is not None else None)
        elif event.box is not None:
            self.state.notify_seg_changed(event.box)
            if event.kind == "commit":
                for axis, (lo, hi) in enumerate(event.box):
                    if hi - lo == 1:  # drawn in the plane normal to this axis
                        self.key_slices[axis].add(lo)
        if self.preview is not None and event.kind != "saved":
            self.cancel_preview()  # a preview computed before this edit is stale
        self._sync_actions()
        self.edited.emit(event.dirty)

    def _flush(self) -> None:
        if self.session is not None:
            self.guard(self.session.flush_pending)

    def _sync_actions(self) -> None:
        s = self.session
        a = self.panel.action_map
        a["edit.undo"].setEnabled(s is not None and s.history.can_undo())
        a["edit.redo"].setEnabled(s is not None and s.history.can_redo())
        name = s.history.undo_name() if s is not None else None
        a["edit.undo"].setText(f"Undo {name}" if name else "Undo")
