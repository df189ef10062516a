"""'Add to mask': a suggested component becomes one undoable, journaled step of the edit session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.verdicts import ADD_STEP_NAME, add_to_mask
from lrpstudio.core.editing import EditSession, find_recoverable, recover
from lrpstudio.core.errors import EditingError, GeometryMismatchError

SHAPE = (20, 18, 10)


def _base() -> np.ndarray:
    seg = np.zeros(SHAPE, np.uint8)
    seg[5:9, 5:9, 3:6] = 1  # core
    return seg


def _component() -> np.ndarray:
    plane = np.zeros(SHAPE[:2], bool)
    plane[7:12, 7:12] = True  # overlaps the core at (7..8, 7..8)
    return plane


def test_add_to_mask_is_one_step_that_undoes_and_redoes() -> None:
    session = EditSession(_base())
    events = []
    session.subscribe(events.append)
    step = add_to_mask(session, 4, _component(), 2)
    assert step is not None and step.name == ADD_STEP_NAME and len(session.history) == 1
    added = session.seg[:, :, 4] == 2
    assert added.sum() == 25 - 4  # the core voxels keep their label
    assert (session.seg[7:9, 7:9, 4] == 1).all()
    assert (session.seg[:, :, [3, 5]] == _base()[:, :, [3, 5]]).all()  # only slice 4
    assert session.dirty and events[-1].kind == "step" and events[-1].voxels == 21
    session.undo()
    np.testing.assert_array_equal(session.seg, _base())
    session.redo()
    assert (session.seg[:, :, 4] == 2).sum() == 21
    assert add_to_mask(session, 4, _component(), 2) is None  # nothing left to change


def test_intensity_limit_from_a_plane_or_the_reference_volume() -> None:
    t1 = np.zeros(SHAPE, np.float32)
    t1[:, :10, :] = 100.0  # the component's rows j < 10 are bright
    session = EditSession(_base(), images={"flair": t1})
    add_to_mask(session, 4, _component(), 3, intensity=t1[:, :, 4], low=50.0)
    assert np.argwhere(session.seg[:, :, 4] == 3)[:, 1].max() == 9
    session.undo()
    add_to_mask(session, 4, _component(), 3, low=None, high=50.0)  # the brush's reference (flair)
    assert np.argwhere(session.seg[:, :, 4] == 3)[:, 1].min() == 10
    with pytest.raises(EditingError, match="reference volume"):
        add_to_mask(EditSession(_base()), 4, _component(), 3, low=1.0)


def test_bad_regions_and_labels_are_refused() -> None:
    session = EditSession(_base())
    with pytest.raises(GeometryMismatchError):
        add_to_mask(session, 10, _component(), 2)
    with pytest.raises(GeometryMismatchError):
        add_to_mask(session, 4, np.ones((5, 5), bool), 2)
    with pytest.raises(EditingError, match="tumour label"):
        add_to_mask(session, 4, _component(), 0)
    volume = np.zeros(SHAPE, bool)
    volume[0, 0, 0] = True
    assert session.add_mask(volume, 2) is not None and session.seg[0, 0, 0] == 2


def test_the_added_region_is_journaled_and_recovered(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    session = EditSession(_base(), workspace=workspace, case_id="c1")
    add_to_mask(session, 4, _component(), 2)
    expected = session.seg.copy()
    del session  # a crash: no save, no close
    found = find_recoverable(workspace)
    assert [(info.case_id, info.steps) for info in found] == [("c1", 1)]
    np.testing.assert_array_equal(recover(found[0].path, _base()), expected)
    restored = EditSession(_base(), workspace=workspace, case_id="c1")
    assert restored.restore(found[0].path) == 1
    assert restored.history.peek_undo().name == ADD_STEP_NAME
    restored.undo()
    np.testing.assert_array_equal(restored.seg, _base())


def test_extended_suggestion_grows_over_the_missed_tissue_of_the_viewer_slice() -> None:
    from lrpstudio.app.slices import capture
    from lrpstudio.app.verdicts import extended_suggestion

    shape = (30, 30, 4)
    flair = np.zeros(shape, np.float32)
    flair[3:27, 3:27] = 100.0                      # the brain
    flair[8:20, 8:20] = 300.0                      # bright tissue the mask misses in part
    seg = np.zeros(shape, np.uint8)
    seg[8:20, 8:12] = 2                            # the mask holds its left third
    blob = np.zeros(shape[:2], bool)
    blob[12:15, 13:16] = True                      # the model's blob on the missed part
    current = capture("c", "HGG", {"flair": flair}, seg, 2)
    grown = extended_suggestion(blob, current, flair)
    missed = np.zeros(shape[:2], bool)
    missed[8:20, 12:20] = True
    assert np.array_equal(grown, missed)           # all of it, nothing in the mask or outside
