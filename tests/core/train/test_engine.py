"""The training loop: reproducibility, resume, divergence, pause/cancel, run folder."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from lrpstudio.core.errors import InputError, TrainingDivergedError
from lrpstudio.core.models.checkpoints import load_checkpoint
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import TrainCallbacks, fit
from lrpstudio.core.train.run_folder import RunFolder


def _weights(run: Path, which: str = "last") -> dict[str, torch.Tensor]:
    return load_checkpoint(RunFolder(run).checkpoint(which))["model"]


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_same_seed_is_bit_identical_and_other_seed_is_not(dataset, config, tmp_path) -> None:
    fit(config, dataset, run_dir=tmp_path / "a")
    fit(config, dataset, run_dir=tmp_path / "b")
    fit(dataclasses.replace(config, seed=4), dataset, run_dir=tmp_path / "c")
    _assert_same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    assert not torch.equal(_weights(tmp_path / "a")["out.weight"], _weights(tmp_path / "c")["out.weight"])
    drop = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop(RunFolder(tmp_path / "a").read_metrics()) == drop(RunFolder(tmp_path / "b").read_metrics())


def test_resume_continues_bit_identically(dataset, config, tmp_path) -> None:
    straight = fit(config, dataset, run_dir=tmp_path / "straight")
    assert straight.status == "finished" and straight.epochs_done == 2
    first = fit(dataclasses.replace(config, epochs=1), dataset, run_dir=tmp_path / "split")
    assert first.epochs_done == 1
    second = fit(config, dataset, run_dir=tmp_path / "split", resume=True)
    assert second.epochs_done == 2
    _assert_same(_weights(tmp_path / "straight"), _weights(tmp_path / "split"))
    a = load_checkpoint(RunFolder(tmp_path / "straight").checkpoint("last"))
    b = load_checkpoint(RunFolder(tmp_path / "split").checkpoint("last"))
    for key, value in a["optimizer"]["state"].items():
        for name, tensor in value.items():
            assert torch.equal(tensor, b["optimizer"]["state"][key][name]), (key, name)
    rows = RunFolder(tmp_path / "split").read_metrics()
    assert [r["epoch"] for r in rows] == [1.0, 2.0]


def test_cancel_mid_epoch_then_resume_matches_straight_run(dataset, config, tmp_path) -> None:
    """Pause from the training thread's callback, check from another thread, then cancel."""
    fit(config, dataset, run_dir=tmp_path / "straight")
    control = TrainControl()
    reached = threading.Event()
    steps: list[int] = []

    def on_batch(step: int, parts: dict[str, float]) -> None:
        steps.append(step)
        if parts["epoch"] == 2 and parts["batch"] == 1:
            control.pause()
            reached.set()

    result: list = []
    worker = threading.Thread(target=lambda: result.append(
        fit(config, dataset, TrainCallbacks(on_batch=on_batch), control, tmp_path / "run")))
    worker.start()
    assert reached.wait(120)
    paused_at = len(steps)
    worker.join(0.3)
    assert worker.is_alive() and len(steps) == paused_at  # paused between batches
    control.resume()
    control.pause()
    control.cancel()
    worker.join(120)
    assert result[0].status == "cancelled" and result[0].epochs_done == 1
    events = RunFolder(tmp_path / "run").read_events()
    assert events[-1]["event"] == "cancelled"
    resumed = fit(config, dataset, run_dir=tmp_path / "run", resume=True)
    assert resumed.status == "finished"
    _assert_same(_weights(tmp_path / "straight"), _weights(tmp_path / "run"))


def test_divergence_stops_with_a_clear_error_and_a_usable_checkpoint(dataset, config, tmp_path) -> None:
    bad = dataclasses.replace(config, lr=1e30, epochs=3)
    with pytest.raises(TrainingDivergedError) as info:
        fit(bad, dataset, run_dir=tmp_path / "run")
    message = str(info.value)
    assert "last.pt" in message and "epoch" in message
    payload = torch.load(RunFolder(tmp_path / "run").checkpoint("last"), weights_only=True)
    assert all(torch.isfinite(t).all() for t in payload["model"].values())
    assert RunFolder(tmp_path / "run").read_events()[-1]["event"] == "diverged"


def test_poisoned_batch_in_first_epoch_keeps_the_initial_checkpoint(dataset, config, tmp_path) -> None:
    images = dataset.images.copy()
    images[0, 0, 10, 10] = np.nan  # slice 0 is in the training split
    poisoned = dataclasses.replace(dataset, images=images)
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        fit(config, poisoned, run_dir=tmp_path / "run")
    payload = load_checkpoint(RunFolder(tmp_path / "run").checkpoint("last"))
    assert payload["epoch"] == 0 and all(torch.isfinite(t).all() for t in payload["model"].values())


def test_run_folder_contents_and_weights_only_checkpoints(dataset, config, tmp_path) -> None:
    seen: dict[str, list] = {"epochs": [], "heatmaps": [], "checkpoints": []}
    callbacks = TrainCallbacks(
        on_epoch_end=lambda e, m: seen["epochs"].append((e, m)),
        on_heatmaps=lambda e, a: seen["heatmaps"].append((e, a)),
        on_checkpoint=lambda e, p: seen["checkpoints"].append(p))
    result = fit(config, dataset, callbacks, run_dir=tmp_path / "run")
    folder = RunFolder(tmp_path / "run")
    record = json.loads(folder.config_path.read_text())
    assert record["train"]["guidance"]["penalty"] == 1.0 and record["train"]["image_size"] == 64
    assert len(record["dataset"]["data_hash"]) == 64 and "torch" in record["versions"]
    rows = folder.read_metrics()
    assert len(rows) == 2 and {"train_ce", "val_f1_weighted", "val_score_hgg", "val_sensitivity"} <= set(rows[0])
    for which in ("last", "best"):
        payload = torch.load(folder.checkpoint(which), weights_only=True)
        assert {"model", "optimizer", "rng", "config", "metrics", "epoch"} <= set(payload)
    assert load_checkpoint(folder.checkpoint("best"))["epoch"] == result.best_epoch
    for epoch in (1, 2):
        assert (folder.heatmap_dir / f"epoch_{epoch:03d}.png").stat().st_size > 1000
        with np.load(folder.heatmap_dir / f"epoch_{epoch:03d}.npz") as npz:
            assert npz["relevance"].shape == (2, 64, 64)
    epoch, arrays = seen["heatmaps"][0]
    assert epoch == 1 and isinstance(arrays["relevance"], np.ndarray)
    assert sorted(arrays["labels"].tolist()) == [0, 1]  # both classes pinned
    assert all(isinstance(v, float) for v in seen["epochs"][0][1].values())
    kinds = [e["event"] for e in folder.read_events()]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("epoch_end") == 2


def test_refuses_existing_run_and_changed_resume(dataset, config, tmp_path) -> None:
    fit(dataclasses.replace(config, epochs=1), dataset, run_dir=tmp_path / "run")
    with pytest.raises(InputError, match="already holds a run"):
        fit(config, dataset, run_dir=tmp_path / "run")
    with pytest.raises(InputError, match="own settings"):
        fit(dataclasses.replace(config, lr=0.5), dataset, run_dir=tmp_path / "run", resume=True)
    other = dataset.select(np.arange(len(dataset) - 1))
    with pytest.raises(InputError, match="needs the data the run was trained on"):
        fit(config, other, run_dir=tmp_path / "run", resume=True)
