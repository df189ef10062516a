import json

import numpy as np
import pytest

from lrpstudio.core.data.slice_dataset import SliceDataset, load_dataset, save_dataset
from lrpstudio.core.errors import DatasetError


def _dataset(n: int = 6, size: int = 8) -> SliceDataset:
    rng = np.random.default_rng(0)
    tumour = np.zeros((n, size, size), bool)
    for i in range(n):
        tumour[i, : i + 1, : i + 1] = True
    return SliceDataset(
        images=rng.normal(size=(n, 3, size, size)).astype(np.float32),
        tumor_masks=tumour, brain_masks=np.ones((n, size, size), bool),
        labels=np.array([0, 1] * (n // 2), np.int64),
        case_ids=np.array(["a", "a", "b", "b", "c", "c"][:n]),
        slice_index=np.arange(n, dtype=np.int64) + 10,
        split=np.array(["train", "train", "val", "val", "test", "test"][:n]),
        manifest={"version": "x"},
    )


def test_round_trip(tmp_path) -> None:
    data = _dataset()
    save_dataset(data, tmp_path / "ds")
    back = load_dataset(tmp_path / "ds")
    for name in ("images", "tumor_masks", "brain_masks", "labels", "case_ids", "slice_index", "split"):
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
    assert back.channels == ("t1", "t2", "flair") and back.manifest == {"version": "x"}
    assert not list((tmp_path / "ds").glob("*.tmp"))


def test_subset_and_find() -> None:
    data = _dataset()
    assert len(data.subset("val")) == 2 and set(data.subset("test").case_ids) == {"c"}
    assert data.find("b") == 3  # the larger tumour of b's two slices
    assert data.find("c", 14) == 4
    with pytest.raises(DatasetError, match="no slice 99"):
        data.find("c", 99)
    with pytest.raises(DatasetError, match="unknown split"):
        data.subset("training")


def test_inconsistent_lengths_rejected() -> None:
    data = _dataset()
    with pytest.raises(DatasetError, match="different length"):
        SliceDataset(data.images, data.tumor_masks[:3], data.brain_masks, data.labels,
                     data.case_ids, data.slice_index, data.split)


def test_missing_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DatasetError, match="not a prepared slice dataset") as info:
        load_dataset(tmp_path / "nothing")
    assert str(tmp_path / "nothing") in str(info.value)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "slices.npz").write_bytes(b"not a zip")
    (tmp_path / "bad" / "manifest.json").write_text(json.dumps({}))
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(tmp_path / "bad")
