"""The training job without Qt: events in order, the pinned slices' inputs, a resume that
sends its saved pins at once, and a job stopped while its data was prepared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.app.datasets import open_slices
from lrpstudio.app.pictures import input_rgba
from lrpstudio.app.training import JobEvents, TrainControl, TrainJob, outcome, resume_job, run_job
from lrpstudio.core.data.slice_dataset import save_dataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.xai.guidance import GuidanceConfig
from tests.core.train.factory import tiny_dataset

CONFIG = TrainConfig(guidance=GuidanceConfig(kind="none", penalty=0.0), epochs=1, batch_size=8, pinned=2,
                     warmup_epochs=0)


def _recorder() -> tuple[JobEvents, list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []
    events = JobEvents(
        on_data=lambda n_train, n_val, report: seen.append(("data", (n_train, n_val, report))),
        on_epoch_start=lambda epoch, epochs: seen.append(("epoch_start", (epoch, epochs))),
        on_batch=lambda step, parts: seen.append(("batch", step)),
        on_epoch_end=lambda epoch, row: seen.append(("epoch_end", epoch)),
        on_pinned=lambda inputs: seen.append(("pinned", inputs)),
        on_heatmaps=lambda epoch, arrays: seen.append(("heatmaps", epoch)),
        on_log=lambda text: seen.append(("log", text)))
    return events, seen


def test_a_job_reports_its_data_then_trains_and_sends_the_pinned_inputs_once(tmp_path: Path) -> None:
    dataset = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    events, seen = _recorder()
    result = run_job(TrainJob(CONFIG, lambda: dataset, tmp_path / "run"), events, TrainControl())
    assert result.status == "finished" and result.epochs_done == 1
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "data"
    n_train, n_val, report = seen[0][1]
    assert (n_train, n_val) == (8, 4)
    assert report["counts"]["train"] == {"LGG": 4, "HGG": 4}
    assert kinds.index("epoch_start") < kinds.index("batch") < kinds.index("epoch_end")
    assert kinds.count("pinned") == 1 and kinds.index("pinned") < kinds.index("heatmaps")
    inputs = dict(seen)["pinned"]
    assert inputs["images"].shape == (2, 32, 32) and len(inputs["titles"]) == 2
    # The pictures are drawn in the job's thread, the same as the GUI would draw them.
    assert len(inputs["pictures"]) == 2
    for picture, image, mask in zip(inputs["pictures"], inputs["images"], inputs["masks"]):
        np.testing.assert_array_equal(picture, input_rgba(image, mask))
    summary = outcome(result)
    assert summary["best_epoch"] == 1 and summary["best_metrics"]["epoch"] == 1


def test_resume_rebuilds_the_recorded_data_and_shows_the_saved_pins_first(tmp_path: Path) -> None:
    data = save_dataset(tiny_dataset(n_cases=8, slices_per_case=2, size=32), tmp_path / "dataset")
    run = tmp_path / "run"
    first = run_job(TrainJob(CONFIG, lambda: open_slices(data), run), JobEvents(), TrainControl())
    assert first.status == "finished"
    job = resume_job(run, data, None, epochs=2)
    assert job.resume and job.config.epochs == 2 and job.config.seed == CONFIG.seed
    events, seen = _recorder()
    result = run_job(job, events, TrainControl())
    assert result.status == "finished" and result.epochs_done == 2
    kinds = [kind for kind, _ in seen]
    assert kinds.count("pinned") == 1 and kinds.index("pinned") < kinds.index("batch")


def test_a_job_stopped_while_its_data_was_prepared_trains_nothing(tmp_path: Path) -> None:
    control = TrainControl()
    dataset = tiny_dataset(n_cases=8, slices_per_case=2, size=32)

    def prepare() -> Any:
        control.cancel()  # the user pressed Stop while the slices were made
        return dataset

    events, seen = _recorder()
    result = run_job(TrainJob(CONFIG, prepare, tmp_path / "run"), events, control)
    assert result.status == "cancelled" and result.epochs_done == 0
    assert [kind for kind, _ in seen] == ["data"]
    assert not (tmp_path / "run" / "checkpoints").exists()
