"""The wall-clock time of curve points: seconds since the run's first event (a real run)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.curves import CurveStore, epoch_times, event_time, mean_epoch_times
from lrpstudio.app.run_info import read_events
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("curves_time") / "run",
                         tiny_dataset(n_cases=6, slices_per_case=2, size=32))


def test_points_of_a_run_carry_their_elapsed_seconds(tiny_run: Path) -> None:
    events = read_events(tiny_run)
    start = event_time(events[0])
    batches = [event_time(e) - start for e in events if e["event"] == "batch"]
    store = CurveStore.from_run(tiny_run)
    assert np.allclose(store.series["ce"].seconds, batches) and len(batches) > 0
    ends = {int(e["epoch"]): event_time(e) - start for e in events if e["event"] == "epoch_end"}
    assert epoch_times(tiny_run) == ends and list(ends) == [1]
    assert np.allclose(store.series["val_accuracy"].seconds, [ends[1]])
    assert ends[1] >= batches[-1] >= batches[0] >= 0.0
    assert np.allclose(mean_epoch_times([tiny_run, tiny_run], np.array([1, 2])), [ends[1], np.nan],
                       equal_nan=True)


def test_live_points_count_from_the_first_or_the_recorded_start() -> None:
    store = CurveStore()
    store.add_batch(1, {"ce": 1.0}, when=1000.0)
    store.add_batch(2, {"ce": 0.5}, when=1002.5)
    store.add_epoch(1, {"val_accuracy": 0.5}, when=1004.0)
    assert list(store.series["ce"].seconds) == [0.0, 2.5]
    assert list(store.series["val_accuracy"].seconds) == [4.0]
    resumed = CurveStore()
    resumed.started = 500.0  # a resumed run keeps counting from its first start
    resumed.add_batch(3, {"ce": 0.4}, when=1010.0)
    assert list(resumed.series["ce"].seconds) == [510.0]
