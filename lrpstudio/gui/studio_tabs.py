"""The main window's central tabs: Viewer, Training and Runs, wired to the open data.

Opening a data folder (or its workspace) points the Training tab at it, with runs kept
in ``<workspace>/runs``; the Runs tab lists them and builds the same slice dataset for
comparisons. A prepared slice dataset can also be opened for training on its own.
Corrected masks saved in the viewer are picked up by the next run, because the dataset
is rebuilt through the workspace (only edited cases are re-extracted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from lrpstudio.core.data.prepare import dataset_from
from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.gui.runs_view import RunsView
from lrpstudio.gui.training_panel import TrainingPanel


class StudioTabs(QtWidgets.QTabWidget):
    """Viewer / Training / Runs.

    Parameters
    ----------
    viewer
        The slice views (first tab).
    """

    #: The folder new runs go to changed (a new data folder or dataset was opened).
    runs_dir_changed = QtCore.Signal(str)

    def __init__(self, viewer: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.training = TrainingPanel(self)
        self.runs = RunsView(self)
        self.addTab(viewer, "Viewer")
        self.addTab(self.training, "Training")
        self.addTab(self.runs, "Runs")
        self.training.run_started.connect(lambda _run: self.runs.refresh())
        self.training.run_ended.connect(lambda _run, _how: self.runs.refresh())
        self.source: Path | None = None
        self.workspace: Any = None
        # A plain copy of the checkbox: load_dataset runs in worker threads, which must
        # not read widgets.
        self.use_corrections = self.training.form.use_corrections.isChecked()
        self.training.form.use_corrections.toggled.connect(
            lambda on: setattr(self, "use_corrections", bool(on)))

    def set_source(self, root: Path, workspace: Any) -> None:
        """Train on a data folder with its workspace (runs in ``<workspace>/runs``)."""
        self.source, self.workspace = Path(root), workspace
        runs_dir = Path(workspace.root) / "runs"
        self.training.set_source(root, workspace, runs_dir)
        self.runs.set_runs_dir(runs_dir, self.load_dataset)
        self.runs_dir_changed.emit(str(runs_dir))

    def open_dataset(self, path: str | Path, runs_dir: str | Path | None = None) -> None:
        """Train on a prepared slice dataset (runs beside it unless ``runs_dir``)."""
        self.source, self.workspace = Path(path), None
        runs = Path(runs_dir) if runs_dir is not None else Path(path).parent / "runs"
        self.training.set_source(path, None, runs)
        self.runs.set_runs_dir(runs, self.load_dataset)
        self.runs_dir_changed.emit(str(runs))

    def load_dataset(self, image_size: int) -> SliceDataset:
        """The slice dataset of the open data (prepared or cached); safe in a worker thread."""
        if self.source is None:
            raise RuntimeError("no data is open")
        config = PrepareConfig(image_size=image_size, use_corrections=self.use_corrections)
        return dataset_from(self.source, config, self.workspace)

    def may_close(self) -> bool:
        """Closing the app: ask when a run trains, then stop it cleanly."""
        return self.training.may_close()


def add_case_views(window: QtWidgets.QMainWindow, tabs: StudioTabs) -> "ExplainPanel":
    """The views that need the open case: the "Explain" dock (beside the tools) and the
    "Similar cases" tab (``tabs.similar``), kept in sync with the runs."""
    from lrpstudio.gui.explain_view import ExplainPanel, current_viewer_slice
    from lrpstudio.gui.similar_view import SimilarPanel

    tabs.similar = SimilarPanel(window, tabs.load_dataset, tabs)
    tabs.addTab(tabs.similar, "Similar cases")
    tabs.runs_dir_changed.connect(tabs.similar.set_runs_dir)
    tabs.training.run_ended.connect(lambda _run, _how: tabs.similar.refresh())

    tabs.runs.current_slice = lambda: current_viewer_slice(window)
    panel = ExplainPanel(window)
    dock = QtWidgets.QDockWidget("Explain", window)
    dock.setObjectName("explain_dock")
    dock.setWidget(panel)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    tools = window.findChild(QtWidgets.QDockWidget, "tools_dock")
    if tools is not None:
        window.tabifyDockWidget(tools, dock)
        tools.raise_()
    tabs.runs_dir_changed.connect(panel.set_runs_dir)
    tabs.training.run_ended.connect(lambda _run, _how: panel.refresh())
    return panel
