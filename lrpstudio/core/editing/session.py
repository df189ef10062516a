"""The edit session: one segmentation being corrected, its undo history, journal and views.

The session owns a private uint8 copy of the segmentation (canonical labels 0..3, file
voxel order (X, Y, Z), axial = third axis). Tools are pure functions (brush, fill,
islands, interpolate) that return a :class:`Change`; the session applies it, records it
as one undo step, journals it and notifies subscribers with the bounding box it touched.

A brush stroke (press, drag, release) is ``begin_stroke``, ``stroke_to`` per mouse
position, ``end_stroke``: one undo step. Undo history is volume-wide, so it survives
slice changes. With a workspace, every step is journaled to
``<workspace>/recovery/<case_id>.journal`` and fsynced at the end of each step (and at
least every ``flush_interval_s`` during a long stroke); after a crash
:func:`~lrpstudio.core.editing.journal.find_recoverable` lists the journal and
:meth:`EditSession.restore` replays it. A successful :meth:`EditSession.save` clears it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..data.corrections import save_correction
from ..errors import EditingError, GeometryMismatchError
from .brush import BrushSettings, drag
from .change import Box, Change, apply_change, as_box, bounding_box, checked_seg, merge_changes
from .events import ChangeEvent, EventKind, Subscriber
from .footprint import PLANE_NORMAL, Plane, brush_footprint, cursor_footprint, spacing_from_affine
from .history import DEFAULT_MAX_STEPS, History, Step
from .interpolate import InterpolationPreview, interpolate_between
from .journal import journal_path, replay, workspace_root
from .recovery import SessionJournal
from .session_tools import RegionTools
from .rules import EditMode, WritePolicy

SaveFunction = Callable[[np.ndarray], Any]


@dataclass(frozen=True)
class SaveTicket:
    """A snapshot being saved (:meth:`EditSession.begin_save`): the mask and the session's version."""

    seg: np.ndarray
    version: int


@dataclass(frozen=True)
class SessionOptions:
    """How a session journals and keeps history."""

    max_steps: int = DEFAULT_MAX_STEPS
    journal: bool = True
    flush_interval_s: float = 1.0


class EditSession(RegionTools):
    """Edits one segmentation; see the module docstring.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) with canonical labels 0..3; copied.
    images
        Reference volumes by modality name (t1, t1ce, t2, flair) for intensity limits.
    spacing
        Voxel spacing per axis in mm (brush footprints stay round on anisotropic grids).
    case_id, source_file
        Recorded in the journal; ``case_id`` names the journal file.
    workspace
        A ``Workspace`` or its folder: it receives the recovery journal and the saved
        correction; None disables journaling.
    case
        The ``Case`` that :meth:`save` hands to ``corrections.save_correction``.
    options
        History length, journaling, flush interval.
    clock
        Monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, seg: np.ndarray, *, images: Mapping[str, np.ndarray] | None = None,
                 spacing: Sequence[float] = (1.0, 1.0, 1.0), case_id: str = "case",
                 source_file: str | Path | None = None, workspace: Any = None,
                 case: Any = None, options: SessionOptions = SessionOptions(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._seg = checked_seg(seg, source_file)
        self._images = dict(images or {})
        for name, volume in self._images.items():
            if volume.shape != self._seg.shape:
                raise GeometryMismatchError(f"reference volume {name} does not match the segmentation",
                                            source_file, expected=self._seg.shape, actual=volume.shape)
        self.spacing = tuple(float(s) for s in spacing)
        self.case_id = case_id
        # A Workspace object (with .root) or its folder; save_correction accepts either.
        self._workspace = workspace
        self._workspace_root = workspace_root(workspace) if workspace is not None else None
        self._case = case
        self._options = options
        self._history = History(options.max_steps)
        self._saved_serial = self._history.state_serial()
        target = (journal_path(self._workspace_root, case_id)
                  if self._workspace_root is not None and options.journal else None)
        self._journal = SessionJournal(target, case_id, str(source_file) if source_file else None,
                                       self._seg, clock, options.flush_interval_s)
        self._subscribers: list[Subscriber] = []
        self._policy = WritePolicy()
        self._brush = BrushSettings()
        self._footprints: dict[tuple[Any, ...], np.ndarray] = {}
        self._stroke: list[Change] | None = None
        self._stroke_erase = False
        self._stroke_last: tuple[int, int, int] | None = None
        self._version = 0

    @classmethod
    def for_case(cls, case: Any, workspace: Any, **kwargs: Any) -> "EditSession":
        """A session on a loaded ``Case`` (id, seg, images, affine, files), saving into ``workspace``.

        A case without a segmentation starts from an empty one (all background).
        """
        files = getattr(case, "files", {}) or {}
        # The base is the workspace correction when load_case used one, else the original.
        source = getattr(case, "correction", None) or files.get("seg")
        seg = case.seg if case.seg is not None else np.zeros(tuple(case.shape), np.uint8)
        return cls(seg, images=case.images, spacing=spacing_from_affine(case.affine),
                   case_id=case.id, source_file=source, workspace=workspace, case=case, **kwargs)

    # -- state -------------------------------------------------------------------------
    @property
    def seg(self) -> np.ndarray:
        """The segmentation being edited, as a read-only view (copy it to keep a snapshot)."""
        view = self._seg.view()
        view.flags.writeable = False
        return view

    @property
    def shape(self) -> tuple[int, int, int]:
        """Volume shape (X, Y, Z)."""
        return self._seg.shape

    @property
    def dirty(self) -> bool:
        """Whether there are edits that are not saved."""
        return bool(self._stroke) or self._history.state_serial() != self._saved_serial

    @property
    def version(self) -> int:
        """Increases with every change of the voxels (previews use it to detect staleness)."""
        return self._version

    @property
    def history(self) -> History:
        """The undo history (read it; change it only through the session)."""
        return self._history

    @property
    def policy(self) -> WritePolicy:
        """Current layer, paint-over rule and intensity limit."""
        return replace(self._policy, paint_over=self._brush.paint_over,
                       intensity_range=self._brush.intensity_range)

    @property
    def brush(self) -> BrushSettings:
        """Current brush settings."""
        return self._brush

    @property
    def journal_file(self) -> Path | None:
        """Where this session journals (whether or not the file exists yet)."""
        return self._journal.path

    def in_stroke(self) -> bool:
        """Whether a stroke is in progress."""
        return self._stroke is not None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(ChangeEvent)`` after every change; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    # -- settings ----------------------------------------------------------------------
    def set_brush(self, brush: BrushSettings) -> None:
        """Replace the brush settings."""
        self._brush = brush
        self._emit("settings", None, 0)

    def resize_brush(self, step: float) -> BrushSettings:
        """Grow (``step > 0``) or shrink the brush radius: the [ and ] keys."""
        self.set_brush(self._brush.resized(step))
        return self._brush

    def set_active_label(self, label: int) -> None:
        """Choose the label that label mode paints (1, 2 or 3)."""
        self._policy = replace(self._policy, active_label=int(label))
        self._emit("settings", None, 0)

    def set_mode(self, mode: EditMode, guidance_label: int | None = None) -> None:
        """Edit one label (``"label"``) or the whole-tumour guidance mask (``"guidance"``)."""
        changes: dict[str, Any] = {"mode": mode}
        if guidance_label is not None:
            changes["guidance_label"] = int(guidance_label)
        self._policy = replace(self._policy, **changes)
        self._emit("settings", None, 0)

    def footprint(self) -> np.ndarray:
        """The 3D footprint of the current brush on this volume's spacing."""
        spec = self._brush.footprint_spec()
        key = (spec, self.spacing)
        if key not in self._footprints:
            self._footprints[key] = brush_footprint(spec, self.spacing)
        return self._footprints[key]

    def cursor(self, plane: Plane) -> np.ndarray:
        """The brush cursor in a display plane (2D bool, in-plane axes in increasing order)."""
        return cursor_footprint(self._brush.footprint_spec(), self.spacing, plane)

    # -- strokes -----------------------------------------------------------------------
    def begin_stroke(self, erase: bool = False) -> None:
        """Start a brush (or eraser) stroke: everything until :meth:`end_stroke` is one undo step."""
        if self._stroke is not None:
            raise EditingError("a stroke is already in progress")
        self._stroke, self._stroke_erase = [], erase
        self._stroke_last = None

    def stroke_to(self, center: Sequence[int]) -> int:
        """Dab at ``center``, and along the line from the previous dab; returns voxels changed."""
        if self._stroke is None:
            raise EditingError("stroke_to needs begin_stroke first")
        center = (int(center[0]), int(center[1]), int(center[2]))
        chunk, box = drag(self._seg, self._stroke_last, center, self.footprint(), self.policy,
                          self._stroke_erase, self._intensity())
        self._stroke_last = center
        count = chunk.size if chunk is not None else 0
        if chunk is not None and count:
            # One journal chunk per mouse move; order is kept, so replay needs no merging.
            self._stroke.append(chunk)
            self._journal.chunk(chunk)
            self._version += 1
            self._emit("stroke", box, count)
        self._journal.tick()
        return count

    def end_stroke(self, name: str | None = None) -> Step | None:
        """Finish the stroke: one undo step (None when it changed nothing)."""
        if self._stroke is None:
            raise EditingError("end_stroke without begin_stroke")
        chunks, self._stroke = self._stroke, None
        if not chunks:
            return None
        merged = merge_changes(chunks, self._seg.size)
        label = name or ("erase" if self._stroke_erase else "paint")
        return self._record(label, merged, bounding_box(merged.indices, self.shape), "commit")

    def paint(self, center: Sequence[int]) -> Step | None:
        """One click of the brush: a stroke of one dab."""
        self.begin_stroke(erase=False)
        self.stroke_to(center)
        return self.end_stroke()

    def erase(self, center: Sequence[int]) -> Step | None:
        """One click of the eraser."""
        self.begin_stroke(erase=True)
        self.stroke_to(center)
        return self.end_stroke()

    # -- one-shot tools (the region tools are in session_tools.RegionTools) --------------
    def preview_interpolation(self, plane: Plane = "axial",
                              key_slices: Sequence[int] | None = None) -> InterpolationPreview:
        """Interpolate the edited layer between key slices of ``plane``; nothing is applied yet."""
        axis = PLANE_NORMAL[plane]
        change = interpolate_between(self._seg, self.policy, axis, key_slices, self.spacing,
                                     self._intensity())
        return InterpolationPreview(change, axis, bounding_box(change.indices, self.shape), self._version)

    def apply_preview(self, preview: InterpolationPreview) -> Step | None:
        """Apply an interpolation preview computed on the current state."""
        if preview.version != self._version:
            raise EditingError("the interpolation preview is out of date; preview again",
                               expected=self._version, actual=preview.version)
        return self._apply_step("interpolate", preview.change)

    # -- undo / redo -------------------------------------------------------------------
    def undo(self) -> Step | None:
        """Revert the newest step (None when there is nothing to undo)."""
        return self._undo_redo(redo=False)

    def redo(self) -> Step | None:
        """Re-apply the newest undone step (None when there is nothing to redo)."""
        return self._undo_redo(redo=True)

    def _undo_redo(self, redo: bool) -> Step | None:
        if self._stroke is not None:
            raise EditingError("finish the stroke before undo or redo")
        step = self._history.pop_redo() if redo else self._history.pop_undo()
        if step is None:
            return None
        apply_change(self._seg, step.change, forward=redo)
        self._version += 1
        self._journal.undo_redo(step.serial, step.change, redo)
        self._emit("redo" if redo else "undo", step.box, step.change.size)
        return step

    # -- journal, save, restore --------------------------------------------------------
    def flush_pending(self) -> None:
        """Write and fsync queued journal records now (a GUI may call this from a timer)."""
        self._journal.flush()

    def save(self, save_fn: SaveFunction | None = None) -> Any:
        """Save the segmentation and clear the journal; returns what ``save_fn`` returns.

        ``save_fn(seg)`` receives a copy of the segmentation; by default it is
        ``corrections.save_correction(case, seg, workspace)`` (atomic, on the source grid,
        never over the original). The dirty flag and the journal are cleared only after it
        returned without raising.
        """
        ticket = self.begin_save()
        result = self.write_snapshot(ticket, save_fn)
        self.finish_save(ticket, result)
        return result

    def begin_save(self) -> "SaveTicket":
        """First part of a save off the GUI thread: a snapshot of the mask to write.

        A GUI calls this, runs :meth:`write_snapshot` on a worker thread and then
        :meth:`finish_save` back on the GUI thread; it must not edit in between
        (:meth:`finish_save` refuses a snapshot the session has moved past).
        """
        if self._stroke is not None:
            raise EditingError("finish the stroke before saving")
        return SaveTicket(self._seg.copy(), self._version)

    def write_snapshot(self, ticket: "SaveTicket", save_fn: SaveFunction | None = None,
                       progress: Callable[[int, int, str], None] | None = None) -> Any:
        """Write a snapshot (``save_fn(seg)``, default the workspace correction); returns its result.

        The one session method that may run on another thread: it reads only the snapshot
        and the case and workspace the session was made with. ``progress(done, total,
        stage)`` hears the stages of the default save.
        """
        if save_fn is not None:
            return save_fn(ticket.seg)
        return self._save_correction(ticket.seg, progress)

    def finish_save(self, ticket: "SaveTicket", result: Any = None) -> None:
        """Mark the snapshot as saved: the dirty flag and the journal are cleared.

        Raises
        ------
        EditingError
            The mask changed after :meth:`begin_save`; the session stays dirty (save again).
        """
        if ticket.version != self._version:
            raise EditingError("the mask changed while it was being saved; save again",
                               expected=ticket.version, actual=self._version)
        self._saved_serial = self._history.state_serial()
        # The saved mask is the base of any later journal (it is what load_case returns next).
        self._journal.rebase(ticket.seg, str(result) if isinstance(result, (str, Path)) else None)
        self._emit("saved", None, 0)

    def _save_correction(self, seg: np.ndarray,
                         progress: Callable[[int, int, str], None] | None = None) -> Path:
        if self._case is None or self._workspace is None:
            raise EditingError("this session has no case and workspace to save to; pass save_fn")
        return save_correction(self._case, seg, self._workspace, progress)

    def restore(self, path: str | Path | None = None) -> int:
        """Replay a recovery journal onto this fresh session; returns the number of undo steps.

        The session must be unedited and hold the segmentation the journal was recorded on
        (its sha256 is checked). Editing then continues in the same journal.
        """
        if (self._history.state_serial() != 0 or self._stroke is not None or len(self._history)
                or self._history.can_redo()):
            raise EditingError("restore needs a fresh, unedited session")
        path = Path(path) if path is not None else self.journal_file
        if path is None:
            raise EditingError("no journal to restore from: the session has no workspace")
        result = replay(path, self._seg, self._options.max_steps)
        self._seg, self._history = result.seg, result.history
        self._journal.resume(path, result)
        if result.partial_stroke:
            top = self._history.peek_undo()
            assert top is not None
            self._journal.commit(top.serial, top.name)  # close the interrupted stroke
        self._version += 1
        self._emit("restore", as_box((0, n) for n in self.shape), int(self._seg.size))
        return len(self._history)

    def close(self) -> None:
        """Flush and close the journal; it is removed when nothing is left unsaved."""
        self._journal.close(keep=self.dirty)

    # -- internals ---------------------------------------------------------------------
    def _apply_step(self, name: str, change: Change) -> Step | None:
        if self._stroke is not None:
            raise EditingError("finish the stroke before using another tool")
        if change.size == 0:
            return None
        apply_change(self._seg, change)
        self._version += 1
        self._journal.chunk(change)
        return self._record(name, change, bounding_box(change.indices, self.shape), "step")

    def _record(self, name: str, change: Change, box: Box | None, kind: EventKind) -> Step:
        """Push a step whose chunks are applied and queued; commit it in the journal and flush."""
        step = self._history.push(name, change, box)
        self._journal.commit(step.serial, name)
        self._emit(kind, box, change.size)
        return step

    def _emit(self, kind: EventKind, box: Box | None, voxels: int) -> None:
        event = ChangeEvent(kind, box, voxels, self.dirty)
        for callback in list(self._subscribers):
            callback(event)
