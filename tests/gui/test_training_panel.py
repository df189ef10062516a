"""The Training tab: a real tiny training started from the panel, watched, paused, stopped, resumed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lrpstudio.core.data.slice_dataset import save_dataset
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.gui.curves import read_csv_rows
from lrpstudio.gui.training_panel import EtaClock, TrainingPanel, format_eta
from lrpstudio.gui.training_worker import interface_threads
from tests.core.train.factory import tiny_dataset

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared tiny slice dataset on disk: 8 cases x 3 slices of 32x32."""
    folder = tmp_path_factory.mktemp("gui_train") / "dataset"
    save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=32, seed=2), folder)
    return folder


def make_panel(qtbot, dataset_dir: Path, runs: Path) -> TrainingPanel:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    panel.set_source(dataset_dir, runs_dir=runs)
    f = panel.form
    f.epochs.setValue(2)
    f.batch_size.setValue(6)
    f.pinned.setValue(2)
    f.seed.setValue(5)
    return panel


def wait_idle(qtbot, panel: TrainingPanel) -> None:
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)


def test_training_from_the_panel(qtbot, dataset_dir: Path, tmp_path: Path) -> None:
    panel = make_panel(qtbot, dataset_dir, tmp_path / "runs")
    threads = torch.get_num_threads()
    run_dir = panel.start()
    assert panel.state == "running" and not panel.start_button.isEnabled()
    wait_idle(qtbot, panel)
    assert panel.ended == [(str(run_dir), "finished")], panel.log.toPlainText()
    assert panel.thread_violations == 0
    assert torch.get_num_threads() == threads  # the interface's core is given back
    assert (RunFolder(run_dir).heatmap_dir / "epoch_002.png").stat().st_size > 1000
    # Curves got every batch (2 epochs x 2 batches) and every epoch.
    panel.curves.redraw()
    assert panel.curves.point_count("total") == 4
    assert panel.curves.point_count("val_accuracy") == 2
    assert panel.curves.point_count("val_score_hgg") == 2
    # Fig. 7: two epochs of heatmaps for the two pinned slices, with score and prediction.
    assert sorted(panel.fig7.epochs) == [1, 2]
    assert panel.fig7.current == 2
    captions = panel.fig7.captions()
    assert len(captions) == 2 and all("S=" in c and "pred" in c for c in captions)
    saved = np.load(RunFolder(run_dir).heatmap_dir / "epoch_002.npz")
    np.testing.assert_array_equal(panel.fig7.epochs[2]["relevance"], saved["relevance"])
    panel.fig7.slider.setValue(1)
    assert panel.fig7.current == 1 and not panel.fig7.follow.isChecked()
    # Hover read-out and x by epoch: the last total-loss point sits at epoch 2.
    assert panel.curves.values_at("Loss", 1e9).startswith("Loss: ce ")
    panel.curves.x_axis.setCurrentText("epoch")
    x, _ = panel.curves.xy("total", smoothed=False)
    np.testing.assert_allclose(x, [0.5, 1.0, 1.5, 2.0])
    # Smoothing off: the bold curve is the raw one.
    panel.curves.smoothing.setValue(0)
    np.testing.assert_array_equal(panel.curves.xy("total", True)[1], panel.curves.xy("total", False)[1])
    # Exports.
    csv_rows = read_csv_rows(panel.curves.export_csv(tmp_path / "curves.csv"))
    assert sum(r["series"] == "total" for r in csv_rows) == 4
    assert panel.curves.export_png(tmp_path / "curves.png").stat().st_size > 1000
    assert RunFolder(run_dir).read_metrics()[-1]["epoch"] == 2.0


def test_pause_stop_resume(qtbot, dataset_dir: Path, tmp_path: Path) -> None:
    panel = make_panel(qtbot, dataset_dir, tmp_path / "runs")
    panel.form.epochs.setValue(3)
    panel.form.batch_size.setValue(2)  # 6 batches per epoch: time to pause in epoch 1 or 2
    run_dir = panel.start()
    qtbot.waitUntil(lambda: panel.curves.store.last_step >= 1, timeout=TIMEOUT_MS)
    panel.toggle_pause()
    assert panel.state == "paused" and panel.pause_button.text() == "Resume"
    qtbot.wait(300)
    steps = panel.curves.store.last_step
    qtbot.wait(700)
    assert panel.curves.store.last_step <= steps + 1, "paused training kept stepping"
    panel.toggle_pause()
    assert panel.state == "running"
    qtbot.waitUntil(lambda: 1 in panel.fig7.epochs, timeout=TIMEOUT_MS)
    panel.stop()
    wait_idle(qtbot, panel)
    assert panel.ended[-1] == (str(run_dir), "cancelled")
    done = len(RunFolder(run_dir).read_metrics())
    assert 1 <= done < 3
    panel.resume_run(run_dir)
    wait_idle(qtbot, panel)
    assert panel.ended[-1] == (str(run_dir), "finished"), panel.log.toPlainText()
    assert len(RunFolder(run_dir).read_metrics()) == 3
    assert sorted(panel.fig7.epochs) == [1, 2, 3]
    assert panel.thread_violations == 0


def test_eta_ignores_pauses() -> None:
    now = [0.0]
    eta = EtaClock(lambda: now[0])
    assert eta.remaining(1, 10) is None  # the first step only starts the clock
    now[0] = 10.0
    eta.pause()
    now[0] = 100.0
    eta.resume()
    assert eta.remaining(2, 10) == pytest.approx(80.0)  # 10 s per step, 8 to go
    assert format_eta(80.0) == "ETA 1:20" and format_eta(3725) == "ETA 1:02:05"


def test_closing_during_training_asks_then_stops(make_window, qtbot, dataset_dir: Path,
                                                 tmp_path: Path) -> None:
    window = make_window()
    window.tabs.open_dataset(dataset_dir, tmp_path / "runs")
    panel = window.tabs.training
    panel.form.epochs.setValue(50)
    panel.form.batch_size.setValue(2)
    answers: list[bool] = [False, True]
    asked: list[int] = []
    panel.confirm_stop = lambda: (asked.append(1), answers.pop(0))[1]
    run_dir = panel.start()
    qtbot.waitUntil(lambda: panel.curves.store.last_step >= 1, timeout=TIMEOUT_MS)
    assert not window.close(), "answering no keeps the window and the run"
    assert panel.is_training
    assert window.close(), "answering yes stops the run and closes"
    assert len(asked) == 2
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    assert panel.ended[-1] == (str(run_dir), "cancelled")
    assert RunFolder(run_dir).checkpoint("last").is_file()
    assert any(e["event"] == "cancelled" for e in RunFolder(run_dir).read_events())


def test_training_behind_the_interface_leaves_it_a_core() -> None:
    assert interface_threads(current=2, cores=2) == 1
    assert interface_threads(current=8, cores=16) == 8  # never raised
    assert interface_threads(current=16, cores=16) == 15
    assert interface_threads(current=1, cores=1) == 1
    assert interface_threads(current=6, cores=None) == 6
