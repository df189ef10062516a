"""The main window's central tabs: Viewer, Training, Runs and Similar cases, wired to the open data.

Opening a data folder (or its workspace) points the Training tab at it, with runs kept
in ``<workspace>/runs``; the Runs tab lists them and builds the same slice dataset for
comparisons. A prepared slice dataset can also be opened for training on its own.
Corrected masks saved in the viewer are picked up by the next run, because the dataset
is rebuilt through the workspace (only edited cases are re-extracted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.datasets import PrepareConfig, SliceDataset, open_slices
from lrpstudio.app.slices import ViewerSlice
from lrpstudio.app.workspace import Workspace
from lrpstudio.gui.runs.view import RunsView
from lrpstudio.gui.similar.view import SimilarPanel
from lrpstudio.gui.training.panel import TrainingPanel


class StudioTabs(QtWidgets.QTabWidget):
    """Viewer / Training / Runs / Similar cases.

    Parameters
    ----------
    viewer
        The slice views (first tab).
    current
        The viewer's current slice (None without an open case), for the comparisons and
        the similar-cases query.
    """

    #: The folder new runs go to changed (a new data folder or dataset was opened).
    runs_dir_changed = QtCore.Signal(str)

    def __init__(self, viewer: QtWidgets.QWidget, current: Callable[[], ViewerSlice | None],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.training = TrainingPanel(self)
        self.runs = RunsView(self)
        self.runs.current_slice = current
        self.similar = SimilarPanel(current, self.load_dataset, self)
        self.addTab(viewer, "Viewer")
        self.addTab(self.training, "Training")
        self.addTab(self.runs, "Runs")
        self.addTab(self.similar, "Similar cases")
        # A run's start and end re-list the runs, but a tab out of view is re-listed when
        # it is next shown: reading every run folder in the GUI thread as a run ended was
        # part of the window's longest stall while training.
        self._stale: dict[QtWidgets.QWidget, Callable[[], None]] = {}
        self.currentChanged.connect(lambda _index: self._refresh_if_stale())
        self.training.run_started.connect(lambda _run: self.refresh_when_shown(self.runs, self.runs.refresh))
        self.training.run_ended.connect(lambda _run, _how: self.refresh_when_shown(self.runs, self.runs.refresh))
        self.training.run_ended.connect(
            lambda _run, _how: self.refresh_when_shown(self.similar, self.similar.refresh))
        self.runs_dir_changed.connect(self.similar.set_runs_dir)
        # The run training now cannot be renamed or deleted; after a rename or delete every
        # run picker (Explain, Similar, Review) lists the runs again.
        self.runs.admin.training_run = lambda: self.training.run_dir if self.training.is_training else None
        self.runs.admin.runs_changed.connect(
            lambda: self.runs_dir_changed.emit(str(self.runs.runs_dir)) if self.runs.runs_dir else None)
        self.source: Path | None = None
        self.workspace: Workspace | None = None
        # A plain copy of the checkbox: load_dataset runs in worker threads, which must
        # not read widgets.
        self.use_corrections = self.training.form.use_corrections.isChecked()
        self.training.form.use_corrections.toggled.connect(
            lambda on: setattr(self, "use_corrections", bool(on)))

    def refresh_when_shown(self, page: QtWidgets.QWidget, refresh: Callable[[], None]) -> None:
        """Call ``refresh`` now if ``page`` is the tab in front, else when it comes to the front.

        Parameters
        ----------
        page
            One of the tabs.
        refresh
            What brings it up to date.
        """
        if self.currentWidget() is page:
            self._stale.pop(page, None)
            refresh()
        else:
            self._stale[page] = refresh

    def _refresh_if_stale(self) -> None:
        refresh = self._stale.pop(self.currentWidget(), None)
        if refresh is not None:
            refresh()

    def set_source(self, root: Path, workspace: Workspace) -> None:
        """Train on a data folder with its workspace (runs in ``<workspace>/runs``)."""
        self.source, self.workspace = Path(root), workspace
        runs_dir = Path(workspace.root) / "runs"
        self.training.set_source(root, workspace, runs_dir)
        self.runs.set_runs_dir(runs_dir, self.load_dataset, root)
        self.runs_dir_changed.emit(str(runs_dir))

    def open_dataset(self, path: str | Path, runs_dir: str | Path | None = None) -> None:
        """Train on a prepared slice dataset (runs beside it unless ``runs_dir``)."""
        self.source, self.workspace = Path(path), None
        runs = Path(runs_dir) if runs_dir is not None else Path(path).parent / "runs"
        self.training.set_source(path, None, runs)
        self.runs.set_runs_dir(runs, self.load_dataset, path)
        self.runs_dir_changed.emit(str(runs))

    def load_dataset(self, image_size: int) -> SliceDataset:
        """The slice dataset of the open data (prepared or cached); safe in a worker thread."""
        if self.source is None:
            raise RuntimeError("no data is open")
        config = PrepareConfig(image_size=image_size, use_corrections=self.use_corrections)
        return open_slices(self.source, config, self.workspace)

    def may_close(self) -> bool:
        """Closing the app: ask when a run trains, then stop it cleanly."""
        return self.training.may_close()
