"""Training with artefact regions: recorded, logged, resumable, and it moves relevance out of them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import CheckpointError, InputError
from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.run_logs import check_run_folder
from lrpstudio.core.xai.forbidden import forbidden_share
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.relevance import forward_with_relevance
from tests.core.train.factory import tiny_dataset

SIZE = 32


def _with_regions(dataset: SliceDataset, cases: int | None = None) -> SliceDataset:
    """The planted shortcut square of the HGG cases marked as their artefact region."""
    square = np.zeros((SIZE, SIZE), bool)
    lo, hi = SIZE // 4 - 3, SIZE // 4 + 3
    square[lo - 1:hi + 1, lo - 1:hi + 1] = True  # the square and a one-pixel rim
    hgg = sorted(set(dataset.case_ids[dataset.labels == 1]))[:cases]
    forbidden = np.isin(dataset.case_ids, hgg)[:, None, None] & square[None]
    return dataclasses.replace(dataset, forbidden_masks=forbidden)


@pytest.fixture(scope="module")
def shortcut() -> SliceDataset:
    return _with_regions(tiny_dataset(n_cases=8, slices_per_case=3, size=SIZE, shortcut=True))


def _config(weight: float, kind: str = "lrp", epochs: int = 2) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=6, lr=1e-3, seed=3, pinned=0, warmup_epochs=0,
                       guidance=GuidanceConfig(kind=kind, penalty=1.0),  # type: ignore[arg-type]
                       augmentation=AugmentConfig(rotation=15.0), forbidden_weight=weight)


def test_a_run_records_logs_and_resumes_with_its_artefact_penalty(shortcut, tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(_config(2.0, epochs=1), shortcut, run_dir=run)
    record = json.loads((run / "config.json").read_text())
    assert record["train"]["forbidden_weight"] == 2.0
    assert record["train"]["guidance"]["forbidden_weight"] == 2.0
    folder = RunFolder(run)
    start = next(e for e in folder.read_events() if e["event"] == "start")
    assert start["forbidden"]["weight"] == 2.0 and start["forbidden"]["train"]["slices"] > 0
    rows = folder.read_metrics()
    assert 0.0 <= rows[-1]["train_forbidden"] <= 1.0
    logs = [e["message"] for e in folder.read_events() if e["event"] == "log"]
    assert any("artefact share train" in m for m in logs)
    with pytest.raises(InputError, match="own settings"):
        fit(_config(0.5, epochs=2), shortcut, run_dir=run, resume=True)
    result = fit(_config(2.0, epochs=2), shortcut, run_dir=run, resume=True)
    assert result.epochs_done == 2
    assert json.loads((run / "config.json").read_text())["train"]["forbidden_weight"] == 2.0
    record = json.loads((run / "config.json").read_text())
    record["train"]["forbidden_weight"] = "high"
    (run / "config.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="forbidden_weight"):
        check_run_folder(run)
    # Without the penalty no column appears (older runs' metrics are unchanged).
    fit(_config(0.0, epochs=1), shortcut, run_dir=tmp_path / "plain")
    assert "train_forbidden" not in RunFolder(tmp_path / "plain").read_metrics()[-1]


def _share(run: Path, dataset: SliceDataset) -> float:
    """Mean share of positive relevance inside the regions, over the training slices with one."""
    model, config, _ = load_run_model(run, "last")
    train = dataset.subset("train")
    rows = np.flatnonzero(train.forbidden.reshape(len(train), -1).any(1))
    x = torch.from_numpy(train.images[rows])
    y = torch.from_numpy(train.labels[rows])
    _, rel = forward_with_relevance(model, x, y, config.guidance.composite)
    share, _ = forbidden_share(rel, torch.from_numpy(train.forbidden[rows]))
    return float(share.mean())


def test_the_penalty_lowers_the_relevance_inside_a_planted_shortcut(shortcut, tmp_path: Path) -> None:
    """Plain CE on data whose HGG cases carry a bright square outside the tumour: the same
    seed with and without the artefact penalty on that square."""
    for weight, name in ((0.0, "ce"), (5.0, "penalised")):
        config = dataclasses.replace(_config(weight, kind="none", epochs=4), lr=3e-3, batch_size=4)
        fit(config, shortcut, run_dir=tmp_path / name)
    without, with_penalty = _share(tmp_path / "ce", shortcut), _share(tmp_path / "penalised", shortcut)
    # measured: 0.35 without, 0.01 with the penalty (12 optimiser steps)
    assert with_penalty < 0.3 * without, (without, with_penalty)
