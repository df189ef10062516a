"""Artefact regions from the workspace reach the slice dataset as forbidden masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.artefacts import artefact_path
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset
from lrpstudio.core.data.slice_dataset import ARRAYS_FILE, SliceDataset, load_dataset, save_dataset
from lrpstudio.core.data.workspace import default_workspace
from lrpstudio.core.errors import DatasetError
from lrpstudio.core.review.verdicts import ArtefactStore
from lrpstudio.core.train.session import dataset_fingerprint
from tests.brats_factory import write_dataset

SHAPE = (32, 32, 16)


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data", Release.BRATS2019, 2, 1, shape=SHAPE)


def test_a_region_becomes_the_forbidden_mask_of_its_slices_only(data: Path, tmp_path: Path) -> None:
    workspace = default_workspace(data)
    out = tmp_path / "ds"
    first = prepare_dataset(data, out, PrepareConfig(image_size=32), workspace, jobs=1)
    assert not first.forbidden.any() and "forbidden" not in first.manifest
    with np.load(out / ARRAYS_FILE) as npz:  # nothing stored for a dataset without regions
        assert "forbidden_masks" not in npz.files
    case_id = sorted(set(first.case_ids))[0]
    rows = np.flatnonzero(first.case_ids == case_id)
    z = int(first.slice_index[rows[0]])
    plane = np.zeros(SHAPE[:2], bool)
    plane[2:6, 20:26] = True  # i = 2..5, j = 20..25
    ArtefactStore(workspace).add(case_id, z, plane, SHAPE, "run-x")

    second = prepare_dataset(data, out, PrepareConfig(image_size=32), workspace, jobs=1)
    run = second.manifest["last_run"]
    assert run["extracted"] == [case_id] and len(run["reused"]) == 2
    row = int(rows[0])
    np.testing.assert_array_equal(second.forbidden[row], plane.T)  # slice = volume[:, :, z].T
    assert second.forbidden.sum() == plane.sum()  # no other slice of any case
    assert second.manifest["forbidden"] == {"cases": 1, "slices": 1}
    assert second.manifest["cases"][case_id]["artefact"]["sha256"]
    assert dataset_fingerprint(second) != dataset_fingerprint(first)
    again = load_dataset(out)
    np.testing.assert_array_equal(again.forbidden, second.forbidden)
    assert dataset_fingerprint(again) == dataset_fingerprint(second)
    assert np.array_equal(again.select(np.array([row])).forbidden[0], plane.T)

    pristine = prepare_dataset(data, tmp_path / "pristine", PrepareConfig(image_size=32, use_corrections=False),
                               workspace, jobs=1)
    assert not pristine.forbidden.any()  # the data as it is on disk

    ArtefactStore(workspace).clear(case_id)
    third = prepare_dataset(data, out, PrepareConfig(image_size=32), workspace, jobs=1)
    assert third.manifest["last_run"]["extracted"] == [case_id]
    assert not third.forbidden.any() and dataset_fingerprint(third) == dataset_fingerprint(first)


def test_a_damaged_region_leaves_out_its_case_only(data: Path, tmp_path: Path) -> None:
    workspace = default_workspace(data)
    refs, _ = discover(data)
    case_id = sorted(r.id for r in refs)[0]
    path = artefact_path(workspace, case_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    dataset = prepare_dataset(data, tmp_path / "ds", PrepareConfig(image_size=16), workspace, jobs=1)
    assert case_id not in set(dataset.case_ids) and len(set(dataset.case_ids)) == 2
    problems = [p for p in dataset.manifest["skipped"] if p["case"] == case_id]
    assert problems and f"{case_id}.npz" in str(problems[0]["file"])
    # A region recorded on another grid is refused the same way.
    ref = next(r for r in refs if r.id == case_id)
    assert load_case(ref).seg.shape == SHAPE
    path.unlink()
    ArtefactStore(workspace).add(case_id, 0, np.ones((4, 4), bool), (4, 4, 4), "r")
    dataset = prepare_dataset(data, tmp_path / "ds", PrepareConfig(image_size=16), workspace, jobs=1)
    assert case_id not in set(dataset.case_ids)


def test_stored_forbidden_rows_are_checked(tmp_path: Path) -> None:
    n = 3
    dataset = SliceDataset(images=np.zeros((n, 1, 4, 4), np.float32), tumor_masks=np.zeros((n, 4, 4), bool),
                           brain_masks=np.ones((n, 4, 4), bool), labels=np.zeros(n, np.int64),
                           case_ids=np.array(["a", "a", "b"]), slice_index=np.arange(n),
                           split=np.array(["train"] * n), channels=("t1",))
    assert dataset.forbidden.shape == (n, 4, 4) and dataset.forbidden_counts() == {"cases": 0, "slices": 0}
    forbidden = np.zeros((n, 4, 4), bool)
    forbidden[2, 1, 1] = True
    marked = SliceDataset(**{**{k: getattr(dataset, k) for k in (
        "images", "tumor_masks", "brain_masks", "labels", "case_ids", "slice_index", "split")}},
        channels=("t1",), forbidden_masks=forbidden)
    save_dataset(marked, tmp_path / "ds")
    assert load_dataset(tmp_path / "ds").forbidden_counts() == {"cases": 1, "slices": 1}
    with pytest.raises(DatasetError, match="length"):
        SliceDataset(**{k: getattr(dataset, k) for k in (
            "images", "tumor_masks", "brain_masks", "labels", "case_ids", "slice_index", "split")},
            channels=("t1",), forbidden_masks=forbidden[:2])
