"""The per-epoch relevance record written by training, across a resume, and its report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.errors import CheckpointError
from lrpstudio.core.review.epochs import epoch_report, read_epoch_records, recorded_rows
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.xai.guidance import GuidanceConfig
from tests.core.train.factory import tiny_dataset


def test_training_records_every_epoch_and_resume_continues(tmp_path: Path) -> None:
    dataset = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    config = TrainConfig(epochs=2, batch_size=8, seed=1, pinned=0, warmup_epochs=0,
                         guidance=GuidanceConfig(kind="none"))
    run = tmp_path / "run"
    fit(config, dataset, run_dir=run)
    first = read_epoch_records(run)
    assert sorted(first) == [1, 2]
    val = dataset.subset("val")
    assert len(first[1]["z"]) == len(val)  # every validation slice has a tumour here
    assert set(first[1]["case_ids"].tolist()) == set(val.case_ids.tolist())
    shares = first[2]["tumour"] + first[2]["edge"] + first[2]["inside_brain"] + first[2]["background"]
    np.testing.assert_allclose(shares, 1.0, atol=1e-9)

    fit(TrainConfig(**{**config.__dict__, "epochs": 3}), dataset, run_dir=run, resume=True)
    again = read_epoch_records(run)
    assert sorted(again) == [1, 2, 3]
    np.testing.assert_array_equal(again[2]["tumour"], first[2]["tumour"])  # kept as it was
    report = epoch_report(again)
    assert {t.case_id for t in report} == set(val.case_ids.tolist())


def _record(tumour: list[float], edge: list[float]) -> dict[str, np.ndarray]:
    n = len(tumour)
    t, e = np.asarray(tumour), np.asarray(edge)
    return {"case_ids": np.asarray(["a", "b", "c"][:n]), "z": np.arange(n), "labels": np.zeros(n, np.int64),
            "predictions": np.zeros(n, np.int64), "probability_hgg": np.full(n, 0.2),
            "score": t, "tumour": t, "edge": e, "inside_brain": 1 - t - e, "background": np.zeros(n)}


def test_report_flags_edge_relevance_and_a_move_away_from_the_tumour() -> None:
    records = {1: _record([0.8, 0.5, 0.7], [0.1, 0.1, 0.1]),
               2: _record([0.6, 0.6, 0.7], [0.1, 0.3, 0.05])}
    report = {t.case_id: t for t in epoch_report(records)}
    assert report["a"].flags == ("moved away",)
    assert report["a"].peak_epoch == 1 and report["a"].last_tumour == pytest.approx(0.6)
    assert report["b"].flags == ("background / edge",)
    assert report["c"].flags == ()
    assert [t.case_id for t in epoch_report(records)][-1] == "c"
    assert epoch_report({}) == []


def test_a_damaged_record_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "review").mkdir()
    (tmp_path / "review" / "epoch_001.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="epoch_001.npz"):
        read_epoch_records(tmp_path)
    assert read_epoch_records(tmp_path / "nothing") == {}


def test_each_case_records_its_largest_tumour_slices() -> None:
    dataset = tiny_dataset(n_cases=4, slices_per_case=4, size=32)
    rows = recorded_rows(dataset)
    assert len(rows) == 8
    areas = dataset.tumor_masks.reshape(len(dataset), -1).sum(axis=1)
    for case_id in set(dataset.case_ids.tolist()):
        mine = np.flatnonzero(dataset.case_ids == case_id)
        picked = [r for r in rows if dataset.case_ids[r] == case_id]
        assert len(picked) == 2 and min(areas[picked]) >= np.sort(areas[mine])[-2]
