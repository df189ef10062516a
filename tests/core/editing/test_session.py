"""The edit session without Qt: strokes, tools, rules, guidance mode, undo/redo, events, dirty flag."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing import BrushSettings, ChangeEvent, EditSession, SessionOptions
from lrpstudio.core.errors import EditingError, GeometryMismatchError, SegmentationError

SHAPE = (32, 32, 16)


def _session(**kwargs: object) -> tuple[EditSession, list[ChangeEvent]]:
    session = EditSession(np.zeros(SHAPE, np.uint8), **kwargs)  # type: ignore[arg-type]
    events: list[ChangeEvent] = []
    session.subscribe(events.append)
    return session, events


def test_one_stroke_is_one_undo_step_and_events_name_the_box() -> None:
    session, events = _session()
    session.set_brush(BrushSettings(radius=2))
    session.set_active_label(2)
    session.begin_stroke()
    for x in (4, 10, 16, 22, 28):  # a fast drag: dabs 6 voxels apart are joined
        session.stroke_to((x, 10, 5))
    step = session.end_stroke()
    assert step is not None and len(session.history) == 1 and step.name == "paint"
    assert (session.seg[4:29, 10, 5] == 2).all()  # no gaps
    strokes = [e for e in events if e.kind == "stroke"]
    assert strokes and all(e.box is not None and e.box[2] == (5, 6) for e in strokes)
    assert events[-1].kind == "commit" and events[-1].box == ((2, 31), (8, 13), (5, 6))
    assert events[-1].touches(2, 5) and not events[-1].touches(2, 6)
    assert list(events[-1].slices(2)) == [5]
    assert session.dirty
    session.undo()
    assert not session.seg.any() and not session.dirty
    assert events[-1].kind == "undo" and events[-1].box == step.box


def test_undo_redo_150_steps_across_slices() -> None:
    session, _ = _session()
    session.set_brush(BrushSettings(radius=1, shape="ball"))
    rng = np.random.default_rng(10)
    snapshots = [session.seg.copy()]
    for i in range(150):
        session.set_active_label(int(rng.integers(1, 4)))
        center = tuple(int(rng.integers(0, n)) for n in SHAPE)
        if i % 3 == 2:
            session.erase(center)
        else:
            session.paint(center)
        if not np.array_equal(session.seg, snapshots[-1]):
            snapshots.append(session.seg.copy())
    assert len(session.history) == len(snapshots) - 1 >= 100
    for expected in reversed(snapshots[:-1]):
        assert session.undo() is not None
        np.testing.assert_array_equal(session.seg, expected)
    assert session.undo() is None and not session.dirty
    for expected in snapshots[1:]:
        session.redo()
        np.testing.assert_array_equal(session.seg, expected)
    assert session.redo() is None
    # every step stores only changed voxels, compactly
    assert session.history.nbytes() < 150 * 27 * 6 + 1


def test_history_is_trimmed_to_max_steps_and_new_edit_clears_redo() -> None:
    session, _ = _session(options=SessionOptions(max_steps=5, journal=False))
    session.set_brush(BrushSettings(radius=0))
    for x in range(8):
        session.paint((x * 3, 5, 5))
    assert len(session.history) == 5
    while session.undo():
        pass
    assert session.seg.sum() == 3  # the three oldest one-voxel strokes cannot be undone
    assert session.dirty  # ... so the state differs from the unedited one
    session.redo()
    session.paint((30, 30, 3))
    assert session.redo() is None


def test_paint_over_rules_through_the_session() -> None:
    seg = np.zeros(SHAPE, np.uint8)
    seg[10:20, 10:20, 5] = 1
    session = EditSession(seg)
    session.set_active_label(3)
    session.set_brush(BrushSettings(radius=3, paint_over="background_only"))
    session.paint((10, 15, 5))
    assert session.seg[10, 15, 5] == 1 and session.seg[8, 15, 5] == 3
    session.set_brush(BrushSettings(radius=3, paint_over="everything"))
    session.paint((10, 15, 5))
    assert session.seg[10, 15, 5] == 3
    session.set_brush(BrushSettings(radius=5, paint_over="protect_others"))
    session.erase((12, 15, 5))  # removes only label 3
    assert session.seg[14, 15, 5] == 1 and not (session.seg == 3).any()


def test_intensity_limited_painting_and_missing_reference() -> None:
    flair = np.tile(np.arange(SHAPE[0], dtype=np.float32)[:, None, None], (1,) + SHAPE[1:])
    session = EditSession(np.zeros(SHAPE, np.uint8), images={"flair": flair})
    session.set_brush(BrushSettings(radius=6, intensity_range=(8.0, 12.0), intensity_modality="flair"))
    session.paint((10, 10, 5))
    painted = np.argwhere(session.seg == 1)
    assert painted[:, 0].min() == 8 and painted[:, 0].max() == 12
    session.set_brush(BrushSettings(radius=2, intensity_range=(0, 1), intensity_modality="t1"))
    with pytest.raises(EditingError):
        session.paint((3, 3, 3))
    with pytest.raises(GeometryMismatchError):
        EditSession(np.zeros(SHAPE, np.uint8), images={"t1": np.zeros((2, 2, 2))})


def test_guidance_mode_paints_whole_tumour() -> None:
    seg = np.zeros(SHAPE, np.uint8)
    seg[10:14, 10:14, 4] = 3
    session = EditSession(seg)
    session.set_mode("guidance", guidance_label=2)
    session.set_brush(BrushSettings(radius=3))
    session.paint((12, 12, 4))
    assert session.seg[12, 12, 4] == 3 and session.seg[9, 12, 4] == 2
    session.set_brush(BrushSettings(radius=1))
    session.erase((12, 12, 4))
    assert session.seg[12, 12, 4] == 0 and session.seg[11, 12, 4] == 0 and session.seg[10, 10, 4] == 3


def test_tools_through_the_session_are_steps() -> None:
    seg = np.zeros(SHAPE, np.uint8)
    seg[5:15, 5:15, 3] = 1
    seg[8:11, 8:11, 3] = 0  # a hole
    seg[25, 25, 3] = 1  # an island
    session = EditSession(seg)
    assert session.fill_holes("axial", 3).name == "fill holes"
    assert session.seg[9, 9, 3] == 1
    assert session.remove_small_islands(5).name == "remove islands"
    assert session.seg[25, 25, 3] == 0
    session.set_active_label(2)
    assert session.flood_fill((0, 0, 3), plane="axial").change.size == 32 * 32 - 100
    assert session.keep_largest() is None  # label 2 is one component: nothing to do
    assert len(session.history) == 3
    for _ in range(3):
        session.undo()
    np.testing.assert_array_equal(session.seg, seg)


def test_guards_and_validation() -> None:
    session, _ = _session()
    with pytest.raises(EditingError):
        session.stroke_to((1, 1, 1))
    session.begin_stroke()
    with pytest.raises(EditingError):
        session.undo()
    with pytest.raises(EditingError):
        session.begin_stroke()
    assert session.end_stroke() is None  # an empty stroke is no step
    with pytest.raises(EditingError):
        session.save()  # no case and workspace, and no save function
    with pytest.raises(SegmentationError):
        EditSession(np.full(SHAPE, 4, np.uint8))
    with pytest.raises(SegmentationError):
        EditSession(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        session.set_active_label(0)
    seg_view = session.seg
    with pytest.raises(ValueError):
        seg_view[0, 0, 0] = 1  # views cannot write behind the history's back


def test_resize_brush_and_cursor() -> None:
    session, events = _session(spacing=(1.0, 1.0, 2.0))
    session.set_brush(BrushSettings(radius=2, shape="ball"))
    assert session.resize_brush(+1).radius == 3
    assert events[-1].kind == "settings" and events[-1].box is None
    assert session.cursor("axial").shape == (7, 7)
    assert session.cursor("coronal").shape == (7, 3)
    assert session.footprint().shape == (7, 7, 3)


def test_save_with_a_function_clears_dirty() -> None:
    session, events = _session()
    session.paint((4, 4, 4))
    saved: list[np.ndarray] = []
    session.save(saved.append)
    assert not session.dirty and events[-1].kind == "saved"
    np.testing.assert_array_equal(saved[0], session.seg)
    session.undo()
    assert session.dirty  # undoing past the save is an unsaved change
    session.redo()
    assert not session.dirty


def test_separate_strokes_are_not_joined() -> None:
    session, _ = _session()
    session.set_brush(BrushSettings(radius=0))
    for x in (2, 20):
        session.begin_stroke()
        session.stroke_to((x, 4, 4))
        session.end_stroke()
    assert session.seg.sum() == 2 and len(session.history) == 2


def test_save_in_three_parts_keeps_edits_made_before_finishing_dirty(tmp_path) -> None:
    """begin_save / write_snapshot (a worker) / finish_save: the split that saves off the GUI thread."""
    from lrpstudio.core.editing.session import EditSession
    from lrpstudio.core.errors import EditingError

    session = EditSession(np.zeros((8, 8, 4), np.uint8))
    session.set_active_label(1)
    session.paint((3, 3, 2))
    ticket = session.begin_save()
    written: list[np.ndarray] = []
    result = session.write_snapshot(ticket, lambda seg: written.append(seg) or tmp_path / "x.nii.gz")
    assert session.dirty  # written, not yet marked saved
    session.finish_save(ticket, result)
    assert not session.dirty
    np.testing.assert_array_equal(written[0], session.seg)
    session.paint((6, 6, 2))
    late = session.begin_save()
    session.paint((1, 1, 1))  # an edit after the snapshot
    session.write_snapshot(late, lambda seg: None)
    with pytest.raises(EditingError):
        session.finish_save(late, None)
    assert session.dirty  # the newer edit is not marked saved
