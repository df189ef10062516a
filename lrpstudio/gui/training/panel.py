"""The Training tab: options form, Start / Pause / Stop / Resume, progress with ETA,
live curves and the Fig. 7 heatmaps of the pinned slices.

Training runs in a :class:`~lrpstudio.gui.training.worker.TrainingWorker`; every slot
here runs in the GUI thread (queued signals), and :attr:`TrainingPanel.thread_violations`
counts any slot that did not (a test asserts it stays 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app import training
from lrpstudio.app.datasets import PrepareConfig
from lrpstudio.app.run_info import read_metrics, train_config
from lrpstudio.app.run_summaries import counted
from lrpstudio.app.training import RunResult, TrainJob
from lrpstudio.app.workspace import Workspace
from lrpstudio.app.options import TrainConfig
from lrpstudio.app.curves import CurveStore
from lrpstudio.gui.training.curves import CurvesWidget
from lrpstudio.gui.training.dialogs import ask_resume_run, ask_stop_training
from lrpstudio.gui.training.fig7_view import Fig7View
from lrpstudio.gui.shell.shortcuts import button_keys, shortcut
from lrpstudio.gui.training.form import DataOptions, TrainingForm
from lrpstudio.gui.training.form_memory import apply_form_values, form_values
from lrpstudio.gui.training.run_buttons import RunButtons
from lrpstudio.gui.training.status import EtaClock, batch_text, data_lines, free_folder, run_name, saved_texts
from lrpstudio.gui.training.worker import TrainingWorker
from lrpstudio.gui.training.warning_banner import WarningBanner


#: The panel's keys (button -> key sequences), active while the focus is inside the panel;
#: they are the ``panel`` rows of the one shortcut table (so the cheat-sheet lists them).
PANEL_KEYS: dict[str, tuple[str, ...]] = {
    name: shortcut(f"panel.{name}").keys for name in ("start", "pause", "stop")}


#: The log's height (px) in a short panel (a 768 px screen) and a tall one: the form comes first.
LOG_PX = (64, 130)
#: Panels lower than this get the short log.
SHORT_PANEL_PX = 760


class TrainingPanel(QtWidgets.QWidget):
    """Train from the desktop and watch it.

    Signals
    -------
    run_started(str)
        The run folder, when a run starts or resumes.
    run_ended(str, str)
        The run folder and how it ended (finished, cancelled, failed).
    state_changed(str)
        idle, running or paused.
    """

    run_started = QtCore.Signal(str)
    run_ended = QtCore.Signal(str, str)
    #: idle, running or paused (the buttons' state).
    state_changed = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: Path | None = None
        self.workspace: Workspace | None = None
        self.runs_dir: Path | None = None
        self.worker: TrainingWorker | None = None
        self.run_dir: Path | None = None
        self._form_before_resume: tuple[TrainConfig, DataOptions] | None = None
        self.eta = EtaClock()
        self.epochs_total = 0
        self.thread_violations = 0
        self.ended: list[tuple[str, str]] = []
        #: Asked before a running training is stopped by closing the app.
        self.confirm_stop: Callable[[], bool] = lambda: ask_stop_training(self)
        self._build()
        self._set_state("idle")

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = TrainingForm(self)
        self.buttons = RunButtons(self)
        self.start_button, self.pause_button, self.stop_button, self.resume_button, self.reset_button = (
            self.buttons.button(name) for name in ("start", "pause", "stop", "resume", "reset"))
        #: What the form shows at start-up, before saved values: "Reset form" goes back to it.
        self.form_defaults = form_values(self.form)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setFormat("%p%")
        self.status = QtWidgets.QLabel("Open a data folder or a prepared dataset to train.", self)
        self.status.setWordWrap(True)
        self.banner = WarningBanner(self)
        self.log = QtWidgets.QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        left = QtWidgets.QWidget(self)
        column = QtWidgets.QVBoxLayout(left)
        self.form_scroll = QtWidgets.QScrollArea(left)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self.form)
        # Unfolding the recipe at the foot of the form brings its rows into view.
        self.form.recipe.expanded_changed.connect(lambda on: on and QtCore.QTimer.singleShot(
            0, lambda: self.form_scroll.ensureWidgetVisible(self.form.recipe, 0, 0)))
        column.addWidget(self.form_scroll, 1)
        column.addWidget(self.buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.banner)
        column.addWidget(self.log, 0)
        # The log is a record, the form is what one works with: the form gets the height.
        self.log.setMaximumHeight(LOG_PX[1])
        self.curves = CurvesWidget(self)
        self.fig7 = Fig7View(self)
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self)
        right.addWidget(self.curves)
        right.addWidget(self.fig7)
        right.setSizes([360, 470])
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([390, 1000])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.start_button.clicked.connect(lambda: self._guard(self.start))
        self.pause_button.clicked.connect(lambda: self._guard(self.toggle_pause))
        self.stop_button.clicked.connect(lambda: self._guard(self.stop))
        self.resume_button.clicked.connect(lambda: self._guard(self.choose_resume))
        self.reset_button.clicked.connect(self.reset_form)
        self.shortcuts = button_keys(self, {"start": self.start_button, "pause": self.pause_button,
                                            "stop": self.stop_button}, PANEL_KEYS)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.log.setMaximumHeight(LOG_PX[0] if self.height() < SHORT_PANEL_PX else LOG_PX[1])

    def reset_form(self) -> None:
        """Every training option back to its default."""
        if self.form_defaults is not None:
            apply_form_values(self.form, self.form_defaults)

    def _guard(self, func: Callable[[], object]) -> None:
        try:
            func()
        except Exception as error:  # noqa: BLE001 - the panel's error boundary
            self._show_error(error)

    def _show_error(self, error: BaseException) -> None:
        text = str(error) or type(error).__name__
        self.status.setText(f"Error: {text}")
        self.log.appendPlainText(f"error: {text}")

    def _set_state(self, state: str) -> None:
        """idle, running or paused: which buttons make sense."""
        self.state = state
        busy = state != "idle"
        self.start_button.setEnabled(not busy)
        self.resume_button.setEnabled(not busy)
        self.reset_button.setEnabled(not busy)
        self.form.setEnabled(not busy)
        self.pause_button.setEnabled(busy)
        self.stop_button.setEnabled(busy)
        # "Continue", not "Resume": "Resume run…" beside it reopens a saved run.
        self.pause_button.setText("Continue" if state == "paused" else "Pause")
        self.state_changed.emit(state)

    # -- data -----------------------------------------------------------------------------
    def set_source(self, source: str | Path, workspace: Workspace | None = None,
                   runs_dir: str | Path | None = None) -> None:
        """Train on ``source`` (a BraTS folder, a workspace or a prepared dataset).

        Parameters
        ----------
        workspace
            The workspace whose corrected masks are used (None: the folder's default).
        runs_dir
            Where new runs are created (default: ``<workspace>/runs``, or beside a dataset).
        """
        self.source, self.workspace = Path(source), workspace
        if runs_dir is None:
            runs_dir = (Path(workspace.root) / "runs") if workspace is not None \
                else self.source.parent / "runs"
        self.runs_dir = Path(runs_dir)
        if self.state == "idle":
            self.status.setText(f"Data: {self.source}\nRuns: {self.runs_dir}")

    def _preparation(self, options: DataOptions) -> PrepareConfig:
        return PrepareConfig(image_size=options.image_size, use_corrections=options.use_corrections)

    # -- commands -------------------------------------------------------------------------
    def start(self, run_dir: str | Path | None = None) -> Path:
        """Start a new run with the form's settings; returns its folder."""
        if self.source is None or self.runs_dir is None:
            raise RuntimeError("no data: open a data folder or a prepared dataset first")
        config = self.form.config()
        run_dir = Path(run_dir) if run_dir is not None else free_folder(self.runs_dir / run_name(config))
        job = training.new_job(config, self.source, self._preparation(self.form.data_options()),
                               self.workspace, run_dir)
        self._launch(job)
        return run_dir

    def user_pins(self) -> tuple[tuple[str, int], ...]:
        """The slices pinned in the viewer for this workspace (explained first in Fig. 7)."""
        return training.user_pins(self.workspace)

    def choose_resume(self) -> None:
        """Ask which run to continue (the workspace's runs, or any folder) and resume it."""
        run = ask_resume_run(self, self.runs_dir)
        if run is not None:
            self.resume_run(run)

    def resume_run(self, run_dir: str | Path, epochs: int | None = None) -> None:
        """Continue ``run_dir`` from its last checkpoint (``epochs``: the new total)."""
        if self.source is None:
            raise RuntimeError("no data: open the data the run was trained on first")
        if self.worker is not None:
            raise RuntimeError("a training run is already running")
        saved = train_config(run_dir)
        # Put back if the resume is refused: the form, image size and mask choice.
        self._form_before_resume = (self.form.config(), self.form.data_options())
        self.form.set_config(saved)
        if epochs is not None:
            self.form.epochs.setValue(epochs)
        fallback = self._preparation(DataOptions(
            image_size=saved.image_size or DataOptions().image_size,
            use_corrections=self.form.use_corrections.isChecked()))
        job = training.resume_job(run_dir, self.source, self.workspace, epochs=max(self.form.epochs.value(), 1),
                                  device=self.form.device.currentText(), fallback=fallback)
        self._launch(job)
        self.curves.set_store(CurveStore.from_run(run_dir))
        self.fig7.load_saved_epochs(run_dir)
        saved_rows = read_metrics(run_dir)
        if saved_rows:  # a run that had collapsed says so before its next epoch ends
            self.banner.show_epoch(int(saved_rows[-1]["epoch"]), saved_rows[-1])

    def _launch(self, job: TrainJob) -> None:
        if self.worker is not None:
            raise RuntimeError("a training run is already running")
        self.run_dir = job.run_dir
        self.curves.clear()
        self.fig7.clear()
        self.banner.clear_all()
        self.progress.setFormat("%p%")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.eta = EtaClock()
        self.epochs_total = 0
        worker = TrainingWorker(job, self)
        worker.dataset_ready.connect(self._on_dataset)
        worker.data_reported.connect(self._on_data_report)
        worker.epoch_started.connect(self._on_epoch_start)
        worker.batch_done.connect(self._on_batch)
        worker.epoch_done.connect(self._on_epoch)
        worker.pinned_ready.connect(self._on_pinned)
        worker.heatmaps_ready.connect(self._on_heatmaps)
        worker.message.connect(self._on_message)
        worker.finished_run.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.worker = worker
        self._set_state("running")
        self.status.setText(f"Preparing data for {job.run_dir.name}…")
        self.log.appendPlainText(f"{'resuming' if job.resume else 'starting'} {job.run_dir}")
        worker.start()
        self.run_started.emit(str(job.run_dir))

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.worker is None:
            return
        if self.state == "paused":
            self.worker.resume()
            self.eta.resume()
            self._set_state("running")
            self.status.setText("Training continues…")
        else:
            self.worker.pause()
            self.eta.pause()
            self._set_state("paused")
            self.status.setText("Paused (after the current batch) — “Continue” goes on")

    def stop(self) -> None:
        """Stop after the current batch; the last finished epoch's checkpoint is kept."""
        if self.worker is not None:
            self.worker.stop()
            self.status.setText("Stopping after the current batch…")

    def stop_and_wait(self, timeout_ms: int = 60000) -> bool:
        """Stop the run and wait for the worker (closing the app); True when it ended."""
        worker = self.worker
        if worker is None:
            return True
        worker.stop()
        return worker.wait(timeout_ms)

    @property
    def is_training(self) -> bool:
        """True while a worker runs (also while paused)."""
        return self.worker is not None

    def may_close(self) -> bool:
        """Closing the app: ask when training runs, then stop it cleanly."""
        if not self.is_training:
            return True
        if not self.confirm_stop():
            return False
        self.stop_and_wait()
        return True

    # -- worker signals (GUI thread) --------------------------------------------------------
    def _check_thread(self) -> None:
        app = QtWidgets.QApplication.instance()
        if app is None or QtCore.QThread.currentThread() is not app.thread():
            self.thread_violations += 1

    def _on_dataset(self, n_train: int, n_val: int) -> None:
        self._check_thread()
        self.status.setText(f"Training on {n_train} slices (validation {n_val})")

    def _on_data_report(self, report: dict[str, Any]) -> None:
        """The data's class counts go to the log, its balance warnings to the banner too."""
        self._check_thread()
        for line in data_lines(report):
            self.log.appendPlainText(line)
        self.banner.set_data_warnings(report["warnings"])

    def _on_epoch_start(self, epoch: int, epochs: int) -> None:
        self._check_thread()
        self.epochs_total = epochs
        if self.state != "paused":
            self.status.setText(f"Epoch {epoch} of {epochs}")

    def _on_batch(self, step: int, parts: dict[str, float]) -> None:
        self._check_thread()
        self.curves.add_batch(step, parts)
        batches, epoch = int(parts["batches"]), int(parts["epoch"])
        total = batches * max(self.epochs_total, epoch)
        done = (epoch - 1) * batches + int(parts["batch"])
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        # While paused, the batch that was in flight when Pause was pressed: no ETA counts down.
        paused = self.state == "paused"
        eta = None if paused else self.eta.remaining(done, total)
        self.status.setText(batch_text(epoch, parts, paused, eta))

    def _on_epoch(self, epoch: int, row: dict[str, float]) -> None:
        self._check_thread()
        self.curves.add_epoch(epoch, row)
        self.banner.show_epoch(epoch, row)

    def _on_pinned(self, inputs: dict[str, Any]) -> None:
        self._check_thread()
        self.fig7.set_inputs(inputs)

    def _on_heatmaps(self, epoch: int, arrays: dict[str, Any]) -> None:
        self._check_thread()
        self.fig7.add_epoch(epoch, arrays)

    def _on_message(self, text: str) -> None:
        self._check_thread()
        self.log.appendPlainText(text)
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())  # the newest line in view, as in a terminal

    def _finish(self, how: str) -> None:
        self._form_before_resume = None
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self._set_state("idle")
        self.curves.finish()
        run = str(self.run_dir)
        self.ended.append((run, how))
        self.run_ended.emit(run, how)

    def _on_finished(self, result: RunResult) -> None:
        self._check_thread()
        if result.status == "finished":
            self.progress.setValue(self.progress.maximum())
            self.status.setText(f"Finished {counted(result.epochs_done, 'epoch')} (best epoch {result.best_epoch})"
                                f" — {result.run_dir.name}")
        else:
            self._show_saved(result.epochs_done)
        self._finish(result.status)

    def _show_saved(self, epochs_done: int) -> None:
        """After a stop: the progress shows what is saved (finished epochs), not the batches run."""
        total = max(self.epochs_total or self.form.epochs.value(), epochs_done, 1)
        self.progress.setRange(0, total)
        self.progress.setValue(epochs_done)
        bar, status = saved_texts(epochs_done, total)
        self.progress.setFormat(bar)
        self.status.setText(status)

    def _on_failed(self, error: BaseException) -> None:
        self._check_thread()
        self._show_error(error)
        if self._form_before_resume is not None:  # a refused resume leaves the panel as it was
            config, options = self._form_before_resume
            self.form.set_config(config)
            self.form.image_size.setValue(options.image_size)
            self.form.use_corrections.setChecked(options.use_corrections)
            self.curves.clear()  # the refused run's curves and heatmaps are not being continued
            self.fig7.clear()
            self.banner.clear_all()
        self._finish("failed")
