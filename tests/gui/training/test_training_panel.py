"""The Training tab: a real tiny training started from the panel, watched, paused, stopped, resumed;
what the status and progress say, the panel's keys and the form's fit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from PySide6 import QtCore

from lrpstudio.core.data.slice_dataset import save_dataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import RunResult
from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.app.curves import read_csv_rows
from lrpstudio.gui.shell.shortcuts import SHORTCUTS, cheat_sheet_html
from lrpstudio.gui.training.form import TrainingForm
from lrpstudio.gui.training.panel import PANEL_KEYS, TrainingPanel
from lrpstudio.gui.training.status import EtaClock, format_eta
from lrpstudio.gui.training.worker import interface_threads
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


def _threads_of_a_new_thread() -> int:
    """torch's thread count as a thread started now sees it (the worker sets it for all)."""
    import threading

    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    return seen[0]


def test_training_from_the_panel(qtbot, dataset_dir: Path, tmp_path: Path, monkeypatch) -> None:
    panel = make_panel(qtbot, dataset_dir, tmp_path / "runs")
    # Two threads on two cores: the run takes one and must give it back afterwards.
    monkeypatch.setattr("lrpstudio.gui.training.worker._cores", lambda: 2)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    threads = _threads_of_a_new_thread()
    run_dir = panel.start()
    assert panel.state == "running" and not panel.start_button.isEnabled()
    wait_idle(qtbot, panel)
    assert panel.ended == [(str(run_dir), "finished")], panel.log.toPlainText()
    assert panel.thread_violations == 0
    assert _threads_of_a_new_thread() == threads == 2  # the interface's core is given back
    torch.set_num_threads(before)
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
    # The data's class counts are in the log; the banner follows the last epoch's collapse.
    log = panel.log.toPlainText()
    counts = RunFolder(run_dir).read_config().dataset.slices
    train_line = next(line for line in log.splitlines() if line.startswith("train split: "))
    per_grade = re.findall(r"(\d+) (LGG|HGG)", train_line)
    assert [g for _n, g in per_grade[:2]] == ["LGG", "HGG"]
    assert sum(int(n) for n, _g in per_grade[:2]) == counts["train"]
    last = RunFolder(run_dir).read_metrics()[-1]
    words = collapse_message(last["val_predicted_hgg"])
    if words:
        assert f"Epoch 2: the model {words}" in panel.banner.text() and not panel.banner.isHidden()
    else:
        assert "the model predicts" not in panel.banner.text()


def _recipe_not_default(form: TrainingForm) -> dict[str, object]:
    """Set every recipe option away from its default; returns what config.json must record."""
    d = TrainConfig()
    recipe = form.recipe
    for box, default in ((recipe.class_balance, d.class_balance), (recipe.best_metric, d.best_metric),
                         (recipe.lr_schedule, d.lr_schedule), (recipe.seed, d.guidance.seed),
                         (form.loss_form, d.guidance.form)):
        box.setCurrentIndex(next(i for i in range(box.count()) if box.itemData(i) != default))
    recipe.warmup_epochs.setValue(1)
    recipe.warmup_min_accuracy.setValue(0.7)
    recipe.ramp_epochs.setValue(1)
    recipe.patience.setValue(d.patience + 5)
    recipe.max_grad_norm.setValue(d.max_grad_norm + 2.0)
    c = form.config()
    return {"class_balance": c.class_balance, "best_metric": c.best_metric, "lr_schedule": c.lr_schedule,
            "warmup_epochs": 1, "warmup_min_accuracy": 0.7, "ramp_epochs": 1, "patience": d.patience + 5,
            "max_grad_norm": d.max_grad_norm + 2.0, "form": c.guidance.form, "seed": c.guidance.seed}


def _recorded(train: dict[str, object]) -> dict[str, object]:
    guidance = train["guidance"]
    assert isinstance(guidance, dict)
    return {**{k: train[k] for k in ("class_balance", "best_metric", "lr_schedule", "warmup_epochs",
                                     "warmup_min_accuracy", "ramp_epochs", "patience", "max_grad_norm")},
            "form": guidance["form"], "seed": guidance["seed"]}


def test_pause_stop_resume(qtbot, dataset_dir: Path, tmp_path: Path) -> None:
    panel = make_panel(qtbot, dataset_dir, tmp_path / "runs")
    panel.form.epochs.setValue(3)
    panel.form.batch_size.setValue(2)  # 6 batches per epoch: time to pause in epoch 1 or 2
    recipe = _recipe_not_default(panel.form)
    run_dir = panel.start()
    qtbot.waitUntil(lambda: panel.curves.store.last_step >= 1, timeout=TIMEOUT_MS)
    panel.toggle_pause()
    assert panel.state == "paused" and panel.pause_button.text() == "Continue"
    qtbot.wait(300)
    steps = panel.curves.store.last_step
    qtbot.wait(700)
    assert panel.curves.store.last_step <= steps + 1, "paused training kept stepping"
    assert panel.status.text().startswith("Paused") and "ETA" not in panel.status.text()
    panel.toggle_pause()
    assert panel.state == "running"
    qtbot.waitUntil(lambda: 1 in panel.fig7.epochs, timeout=TIMEOUT_MS)
    panel.stop()
    wait_idle(qtbot, panel)
    assert panel.ended[-1] == (str(run_dir), "cancelled")
    done = len(RunFolder(run_dir).read_metrics())
    assert 1 <= done < 3
    # The progress shows what is saved: finished epochs, not the batches of the dropped one.
    assert (panel.progress.value(), panel.progress.maximum()) == (done, 3)
    assert f"{done} of 3 epochs {'is' if done == 1 else 'are'} saved" in panel.status.text()
    # config.json records the recipe, and a resume puts it back in the form.
    assert _recorded(RunFolder(run_dir).read_config().train.to_dict()) == recipe
    panel.form.set_config(TrainConfig())
    panel.resume_run(run_dir)
    assert _recorded(panel.form.config().to_dict()) == recipe
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


def _parts(epoch: int, batch: int, batches: int = 12) -> dict[str, float]:
    return {"epoch": float(epoch), "batch": float(batch), "batches": float(batches),
            "ce": 0.7, "guidance": 0.5, "total": 1.2}


def test_a_batch_in_flight_does_not_unpause_the_status(qtbot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel._on_epoch_start(2, 5)
    panel._on_batch(13, _parts(2, 1))
    panel._on_batch(14, _parts(2, 2))
    assert panel.status.text().startswith("Epoch 2, batch 2/12") and "ETA" in panel.status.text()
    panel._set_state("paused")  # what toggle_pause does, without a worker
    panel._on_batch(15, _parts(2, 3))  # the batch that was running when Pause was pressed
    panel._on_epoch_start(3, 5)
    text = panel.status.text()
    assert text.startswith("Paused after epoch 2, batch 3/12") and "ETA" not in text, text
    assert panel.pause_button.text() == "Continue" and panel.resume_button.text() == "Resume run…"
    assert panel.progress.value() == 15  # the batch still counts and is drawn
    assert panel.curves.store.last_step == 15


def test_a_stop_shows_the_saved_epochs(qtbot, tmp_path: Path) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.run_dir = tmp_path
    panel._on_epoch_start(5, 5)
    panel._on_batch(59, _parts(5, 11))
    assert panel.progress.value() == 59  # 98 % of the batches ran
    panel._on_finished(RunResult(tmp_path, "cancelled", 4, 3, []))
    assert (panel.progress.value(), panel.progress.maximum()) == (4, 5)
    assert panel.progress.text() == "4/5 epochs saved"
    assert "Stopped: 4 of 5 epochs are saved" in panel.status.text()
    assert panel.ended == [(str(tmp_path), "cancelled")]


def test_counts_of_one_epoch_are_singular(qtbot, tmp_path: Path) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.run_dir = tmp_path
    panel._on_epoch_start(1, 1)
    panel._on_finished(RunResult(tmp_path, "finished", 1, 1, []))
    assert panel.status.text().startswith("Finished 1 epoch (best epoch 1)")
    panel._on_epoch_start(1, 1)
    panel._on_finished(RunResult(tmp_path, "cancelled", 1, 1, []))
    assert panel.progress.text() == "1/1 epoch saved"
    assert "Stopped: 1 of 1 epoch is saved" in panel.status.text()


def test_keyboard_shortcuts_press_the_buttons(qtbot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=2000)
    panel.form.epochs.setFocus()
    pressed: list[str] = []
    for name in ("start", "pause", "stop"):
        getattr(panel, f"{name}_button").clicked.connect(lambda *_a, n=name: pressed.append(n))
    keys = {sequence: name for name, sequences in PANEL_KEYS.items() for sequence in sequences}
    assert set(keys) >= {"Ctrl+Return", "Ctrl+P", "Ctrl+."}
    window_keys = {k for s in SHORTCUTS if s.kind != "panel" for k in s.keys}
    assert not set(keys) & window_keys, "a panel key clashes with the window's shortcuts"
    assert "Ctrl+." in cheat_sheet_html()  # the panel's keys are on the cheat-sheet
    qtbot.keyClick(panel.form.epochs, QtCore.Qt.Key.Key_Return, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert pressed == ["start"] and panel.status.text().startswith("Error: no data")
    qtbot.keyClick(panel.form.epochs, QtCore.Qt.Key.Key_P, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert pressed == ["start"], "Pause pressed while no run was running"
    panel._set_state("running")  # buttons of a run, without a worker; the form is disabled
    panel.log.setFocus()
    qtbot.keyClick(panel.log, QtCore.Qt.Key.Key_P, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(panel.log, QtCore.Qt.Key.Key_Period, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert pressed == ["start", "pause", "stop"]
    for button, key in ((panel.start_button, "Ctrl+Return"), (panel.pause_button, "Ctrl+P"),
                        (panel.stop_button, "Ctrl+.")):
        assert f"({key})" in button.toolTip()


def test_a_collapsed_epoch_shows_a_banner_until_the_model_recovers(qtbot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    row = {"epoch": 3.0, "val_accuracy": 0.79, "val_balanced_accuracy": 0.5, "val_predicted_hgg": 0.0}
    panel._on_epoch(3, row)
    assert panel.banner.isVisible()
    assert panel.banner.text() == "⚠ Epoch 3: the model predicts LGG for every validation slice — it " \
        "has collapsed to one grade; its accuracy and heatmaps mean little until it recovers"
    panel._on_data_report({"counts": {"train": {"LGG": 79, "HGG": 21}}, "balance": {},
                           "warnings": ["train split is imbalanced: 79% of its 100 slices are LGG"]})
    assert "train split: 79 LGG, 21 HGG slices (21% HGG)" in panel.log.toPlainText()
    assert panel.banner.text().endswith("Data: train split is imbalanced: 79% of its 100 slices are LGG")
    panel._on_epoch(4, {**row, "epoch": 4.0, "val_predicted_hgg": 0.3})
    assert "predicts" not in panel.banner.text()


def test_the_form_fits_its_column_with_the_device_row_in_view(qtbot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(50)
    assert not panel.form_scroll.horizontalScrollBar().isVisible()
    assert not panel.form.device.visibleRegion().isEmpty(), "the Device row is below the fold"


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path: Path) -> None:
    from lrpstudio.gui.training.status import free_folder

    first = tmp_path / "20260101-120000-paper-lrp-p1"
    assert free_folder(first) == first
    first.mkdir()
    assert free_folder(first).name == "20260101-120000-paper-lrp-p1-2"
    (tmp_path / "20260101-120000-paper-lrp-p1-2").mkdir()
    assert free_folder(first).name == "20260101-120000-paper-lrp-p1-3"


def test_a_stop_while_the_data_is_prepared_ends_the_run(qtbot, dataset_dir: Path, tmp_path: Path) -> None:
    import threading

    from lrpstudio.core.data.slice_dataset import load_dataset
    from lrpstudio.core.train.config import TrainConfig
    from lrpstudio.gui.training.worker import TrainingWorker, TrainJob

    preparing, release = threading.Event(), threading.Event()

    def slow_dataset():  # noqa: ANN202 - the worker's provider
        preparing.set()
        release.wait(10)
        return load_dataset(dataset_dir)

    worker = TrainingWorker(TrainJob(TrainConfig(epochs=1), slow_dataset, tmp_path / "run"))
    ended: list[str] = []
    worker.finished_run.connect(lambda result: ended.append(result.status))
    worker.failed.connect(lambda error: ended.append(f"failed: {error}"))
    worker.start()
    assert preparing.wait(10)
    worker.stop()  # Stop pressed during "Preparing data…"
    release.set()
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    assert ended == ["cancelled"]
    worker.wait()
