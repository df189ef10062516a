"""The relevance layer over the slice views: a run's heatmap on the full-resolution image.

The app computes (:class:`lrpstudio.app.relevance_layer.LayerEngine`); this module draws
and schedules. The layer follows the viewer: a slice change or a mask edit marks it
*stale* at once (dimmed, the colour bar says so) and a background
:class:`~lrpstudio.gui.viewer.relevance_worker.LayerThread` recomputes it. One computation runs at a
time; a request made meanwhile waits for it and a result that no longer matches the
viewer (another slice, case, run or mask version) is dropped. Mask edits are coalesced
over a short delay so a brush stroke does not start one computation per dab.

With "all tumour slices" the whole tumour-bearing range of the case is explained, so the
coronal and sagittal views show the layer too. The layer also outlines the tumour mask
and, for the Review tab, one highlighted component (:meth:`RelevanceLayer.set_highlight`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from lrpstudio.app.pictures import outline
from lrpstudio.app.relevance_layer import (SIGNS, LayerEngine, LayerResult, layer_rgba,
                                           tumour_range)
from lrpstudio.app.slices import capture
from lrpstudio.gui.common.workers import CancelToken
from lrpstudio.gui.viewer.ortho_views import OrthoViews
from lrpstudio.gui.viewer.relevance_bar import RelevanceColourBar
from lrpstudio.gui.viewer.relevance_worker import Job, LayerThread
from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.view_state import Region, ViewState

#: Opacity factor of a stale layer (it shows the previous result until the new one is ready).
STALE_DIM = 0.35
_OUTLINE_LUT = np.zeros((256, 4), np.uint8)
_OUTLINE_LUT[1:] = (255, 255, 255, 230)     # the tumour mask: white, thin
_MARK_LUT = np.zeros((256, 4), np.uint8)
_MARK_LUT[1:] = (255, 0, 255, 255)          # the highlighted component: magenta


@dataclass(frozen=True)
class Request:
    """What the layer should show now: one computation's inputs."""

    case_id: str
    run_dir: str
    composite: str | None
    version: int
    zs: tuple[int, ...]


class RelevanceLayer(QtCore.QObject):
    """Draws a run's relevance over the views and keeps it in step with the viewer.

    Signals
    -------
    changed()
        Something shown changed: a result arrived, the layer went stale, on or off.
    failed(str)
        A computation failed (the message).
    """

    changed = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, state: ViewState, views: OrthoViews, parent: QtCore.QObject | None = None,
                 edit_delay_ms: int = 250) -> None:
        super().__init__(parent)
        self.state, self.views = state, views
        self.engine = LayerEngine()
        self.enabled = False
        self.run_dir: str | None = None
        self.composite: str | None = None  # None: the run's own
        self.sign, self.opacity, self.all_slices = "positive", 0.7, False
        self.case_id: str | None = None
        self.grade: str | None = None
        self.version = 0  # the mask version: bumped on every edit and new case
        self.result: LayerResult | None = None
        self.error: str | None = None
        self._job: Job | None = None  # the computation asked for and not answered yet
        self._thread: LayerThread | None = None
        self.computed = 0  # results shown (for tests and the benchmark)
        self._volume: np.ndarray | None = None  # the result as a volume, for the other planes
        self._highlight: tuple[int, np.ndarray] | None = None
        self._span: tuple[int, tuple[int, int] | None] | None = None  # (version, tumour range)
        self._items = {plane: self._add_items(view) for plane, view in views.views.items()}
        self.bar = RelevanceColourBar(views.views["axial"])
        self.bar.hide()
        self._edit_timer = QtCore.QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(edit_delay_ms)
        self._edit_timer.timeout.connect(self.update_now)
        state.volume_changed.connect(self._on_volume)
        state.cursor_changed.connect(lambda _v: self._on_cursor())
        state.seg_changed.connect(self._on_seg)

    @staticmethod
    def _add_items(view: SliceView) -> tuple[pg.ImageItem, pg.ImageItem, pg.ImageItem]:
        items = tuple(pg.ImageItem(axisOrder="col-major") for _ in range(3))
        for z, item in enumerate(items, start=3):  # above image, overlay and preview
            item.setZValue(z)
            item.setVisible(False)
            view.viewbox.addItem(item)
        return items[0], items[1], items[2]

    # -- settings --------------------------------------------------------------------------
    def set_case(self, case_id: str | None, grade: str | None = None) -> None:
        """The case the viewer shows (None: none)."""
        self.case_id, self.grade = case_id, grade
        self._highlight = None
        self.update_now()

    def set_run(self, run_dir: str | Path | None) -> None:
        """Explain with this run's best model."""
        self.run_dir = None if run_dir is None else str(run_dir)
        self.update_now()

    def set_enabled(self, on: bool) -> None:
        """Show or hide the layer (hidden, nothing is computed)."""
        self.enabled = bool(on)
        self.update_now()

    def toggle(self) -> bool:
        """Switch the layer on or off; returns the new state."""
        self.set_enabled(not self.enabled)
        return self.enabled

    def set_sign(self, sign: str) -> None:
        """``positive`` or ``both`` (diverging colours)."""
        if sign not in SIGNS:
            raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
        self.sign = sign
        self.redraw()

    def set_opacity(self, opacity: float) -> None:
        """Overall opacity of the layer, 0..1."""
        self.opacity = float(min(max(opacity, 0.0), 1.0))
        self.redraw()

    def set_composite(self, composite: str | None) -> None:
        """The LRP composite (None: the run's own)."""
        self.composite = composite or None
        self.update_now()

    def set_all_slices(self, on: bool) -> None:
        """Explain the case's whole tumour-bearing range (the coronal and sagittal views show it)."""
        self.all_slices = bool(on)
        self.update_now()

    def set_highlight(self, z: int | None, plane_mask: np.ndarray | None) -> None:
        """Outline ``plane_mask`` ((I, J) bool of axial slice ``z``) in the axial view; None clears."""
        self._highlight = None if z is None or plane_mask is None else (int(z), np.asarray(plane_mask, bool))
        self.redraw()

    # -- state -----------------------------------------------------------------------------
    def request(self) -> Request | None:
        """What should be shown now (None: nothing: off, no case, no run)."""
        if not self.enabled or self.case_id is None or self.run_dir is None or not self.state.has_volume:
            return None
        z = int(self.state.cursor[2])
        zs: tuple[int, ...] = (z,)
        span = self._tumour_span() if self.all_slices else None
        if span is not None:
            zs = tuple(sorted(set(range(*span)) | {z}))
        return Request(self.case_id, self.run_dir, self.composite, self.version, zs)

    def _tumour_span(self) -> tuple[int, int] | None:
        """The case's tumour-bearing axial range, computed once per mask version."""
        if self._span is None or self._span[0] != self.version:
            self._span = (self.version, tumour_range(self.state.seg))
        return self._span[1]

    def _matches(self, result: LayerResult | None, request: Request | None) -> bool:
        """True when ``result`` answers ``request`` for the slice shown."""
        if result is None or request is None:
            return False
        same = (result.case_id == request.case_id and str(result.run_dir) == request.run_dir
                and result.version == request.version
                and (request.composite is None or result.composite == request.composite))
        return same and set(request.zs) <= set(result.zs)

    @property
    def stale(self) -> bool:
        """True while the layer is on and what it shows is not the viewer's slice and mask."""
        request = self.request()
        return request is not None and not self._matches(self.result, request)

    @property
    def busy(self) -> bool:
        """True while a computation runs."""
        return self._job is not None

    # -- reacting to the viewer -----------------------------------------------------------
    def _on_volume(self) -> None:
        # Another case's volumes: nothing is explained until the window names the case
        # (set_case follows), so no computation mixes the new volumes with the old name.
        self.case_id = None
        self.version += 1
        self.result, self._volume, self._highlight = None, None, None
        self.update_now()

    def _on_cursor(self) -> None:
        if not self.enabled:
            return
        if self.stale:
            self.update_now()
        else:
            self.redraw()

    def _on_seg(self, _region: Region | None) -> None:
        self.version += 1
        if self.enabled:
            self.redraw()  # stale at once; the new relevance follows the stroke's end
            self._edit_timer.start()

    def update_now(self) -> None:
        """Redraw, and start a computation when the layer is stale and none runs."""
        self._edit_timer.stop()
        self.redraw()
        if not self.stale:
            return
        if self._job is not None:
            self._job.token.cancel()  # outdated: a range stops between batches
            return  # the next one starts when it is answered
        self._start()

    def _start(self) -> None:
        request = self.request()
        if request is None:
            return
        state = self.state
        current = capture(request.case_id, self.grade, state.images, state.seg, request.zs[0])
        engine = self.engine

        def compute(cancel: CancelToken) -> LayerResult:
            return engine.compute(request.run_dir, current, request.zs, version=request.version,
                                  composite=request.composite, cancel=cancel)

        self._job = Job(request, compute, CancelToken())
        self.bar.set_status("computing…")
        self._submit()

    def _submit(self) -> None:
        """Hand the pending job to the layer's thread (started when none runs)."""
        if self._thread is None:
            self._thread = LayerThread(self)
            self._thread.done.connect(self._on_done)
            self._thread.finished.connect(self._on_thread_end)
            self._thread.start()
        assert self._job is not None
        self._thread.submit(self._job)

    def _on_thread_end(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.deleteLater()
        if self._job is not None:
            self._submit()  # submitted as the thread went idle: not lost, run it on a new one

    def _on_done(self, key: Request, result: LayerResult | None, error: Exception | None) -> None:
        if self._job is None or key is not self._job.key:
            return
        self._job = None
        if error is not None:
            self.error = str(error)
            self.failed.emit(self.error)
            self.redraw()  # not retried until the viewer or a setting changes
            return
        current = result is not None and self._matches(result, self.request())
        if result is not None and (current or self.result is None):
            # An outdated first result is still shown, dimmed, until the next one.
            self.result, self._volume, self.error = result, None, None
            self.computed += int(current)
        self.update_now()

    def show_result(self, result: LayerResult) -> None:
        """Show a computed result (kept while it matches the viewer; the benchmark and tests)."""
        self.result, self._volume, self.error = result, None, None
        self.redraw()

    def wait(self, msecs: int = 60_000) -> None:
        """Cancel a running computation and end the layer's thread (closing the window)."""
        if self._job is not None:
            self._job.token.cancel()
        thread = self._thread
        if thread is not None:
            thread.stop()
            thread.wait(msecs)

    # -- drawing ---------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw the current result (dimmed when stale), the mask outline and the highlight."""
        shown = (self.enabled and self.result is not None and self.case_id is not None
                 and self.result.case_id == self.case_id and self.state.has_volume)
        stale = self.stale
        for plane, view in self.views.views.items():
            heat, edge, mark = self._items[plane]
            self._draw_heat(view, heat, stale if shown else True, shown)
            self._draw_outline(view, edge, self.enabled and self.state.has_volume)
            self._draw_mark(view, mark)
        self._update_bar(shown, stale)
        self.changed.emit()

    def _plane_values(self, view: SliceView) -> np.ndarray | None:
        """The result's relevance on ``view``'s current plane (None: not computed there)."""
        result = self.result
        assert result is not None
        if view.mapping.slice_axis == 2:
            plane = result.plane(view.slice_index)
            return None if plane is None else view.mapping.extract(plane[:, :, None], 0)
        if len(result.zs) < 2:
            return None  # one axial slice says nothing about a coronal or sagittal plane
        if self._volume is None:
            self._volume = result.volume(self.state.shape)
        return view.mapping.extract(self._volume, view.slice_index)

    def _draw_heat(self, view: SliceView, item: pg.ImageItem, stale: bool, shown: bool) -> None:
        values = self._plane_values(view) if shown else None
        if values is None:
            if not (shown and stale and view.plane == "axial"):
                item.setVisible(False)  # nothing for this plane (a stale axial keeps its last picture)
            else:
                item.setOpacity(self.opacity * STALE_DIM)
            return
        assert self.result is not None
        item.setTransform(view.image.transform())
        item.setImage(layer_rgba(values, self.result.vmax, self.sign), autoLevels=False)
        item.setOpacity(self.opacity * (STALE_DIM if stale else 1.0))
        item.setVisible(True)

    def _draw_outline(self, view: SliceView, item: pg.ImageItem, on: bool) -> None:
        seg = self.state.seg
        labels = None if not on or seg is None else view.mapping.extract(seg, view.slice_index)
        if labels is None or not labels.any():
            item.setVisible(False)
            return
        item.setTransform(view.image.transform())
        item.setImage(outline(np.ascontiguousarray(labels > 0).astype(np.uint8)), autoLevels=False,
                      levels=(0, 255), lut=_OUTLINE_LUT)
        item.setVisible(True)

    def _draw_mark(self, view: SliceView, item: pg.ImageItem) -> None:
        mark = self._highlight
        if mark is None or view.mapping.slice_axis != 2 or view.slice_index != mark[0]:
            item.setVisible(False)
            return
        plane = view.mapping.extract(mark[1][:, :, None].astype(np.uint8), 0)
        item.setTransform(view.image.transform())
        item.setImage(outline(np.ascontiguousarray(plane)), autoLevels=False, levels=(0, 255), lut=_MARK_LUT)
        item.setVisible(True)

    def _update_bar(self, shown: bool, stale: bool) -> None:
        if not self.enabled:
            self.bar.hide()
            return
        result = self.result if shown else None
        run = Path(self.run_dir).name if self.run_dir else "no run chosen"
        composite = result.composite if result is not None else (self.composite or "run's composite")
        self.bar.set_scale(f"{run} · {composite}", result.vmax if result is not None else None, self.sign)
        status = ("error: " + self.error if self.error else "computing…" if self.busy
                  else "stale" if stale else "")
        if self.run_dir is None:
            status = "choose a run in the Explain dock"
        self.bar.set_status(status)
        self.bar.show()
        self.bar.raise_()

    def plane_rgba(self, plane: str = "axial") -> np.ndarray | None:
        """The layer's picture on a view now (screen x, y, RGBA), or None when hidden (tests)."""
        item = self._items[plane][0]
        return None if not item.isVisible() or item.image is None else np.asarray(item.image)

    def outline_image(self, plane: str = "axial", which: int = 1) -> np.ndarray | None:
        """The mask outline (``which=1``) or highlight (2) drawn on a view, or None (tests)."""
        item = self._items[plane][which]
        return None if not item.isVisible() or item.image is None else np.asarray(item.image)

