"""What the Review tab needs from the main window, as one small interface.

The tab never reaches into the window's widgets: :class:`ReviewHost` is what it calls
(open an entry with the layer on, the viewer's slice and edit session, the open data, the
Training tab), and :class:`WindowHost` implements it over the real window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.slices import ViewerSlice
from lrpstudio.app.workspace import Workspace

#: The training form's artefact-penalty field (its object name).
PENALTY_FIELD = "forbidden_weight"


class ReviewWindow(Protocol):
    """What the review code uses of the main window (and nothing more).

    The widgets are left untyped here: naming their classes would make this package
    import the window's own (gui.shell), which imports this one.
    """

    state: Any
    views: Any
    explain: Any
    tabs: Any
    controller: Any
    action_map: Any

    def run_guarded(self, func: Callable[[], object]) -> None:
        """Run a command, turning an error into one dialog."""

    def show_status(self, message: str, timeout_ms: int = 8000) -> None:
        """Say something in the status bar."""

    def viewer_slice(self) -> ViewerSlice | None:
        """The viewer's current slice."""

    def open_at(self, case_id: str, z: int) -> None:
        """Open a case at axial slice z."""

    def show_relevance(self, case_id: str, z: int, run_dir: Path) -> None:
        """Open a case at slice z with the relevance layer on for a run."""

    def installEventFilter(self, watcher: QtCore.QObject, /) -> None:  # noqa: N802 - Qt API
        """Let ``watcher`` see the window's events (its close)."""


class ReviewHost(Protocol):
    """The main window as the Review tab sees it."""

    def show_entry(self, case_id: str, z: int, run_dir: Path) -> None:
        """Open the case at slice z with the relevance layer on for the run."""

    def viewer_slice(self) -> ViewerSlice | None:
        """The viewer's current slice (a copy of its mask), None without a case."""

    def session(self) -> Any:
        """The viewer's edit session (None without a case)."""

    def intensity(self) -> np.ndarray | None:
        """The volume shown now (the intensity limit of "add to mask")."""

    def data(self) -> tuple[Path | None, Workspace | None]:
        """The open data (folder, workspace)."""

    def highlight(self, z: int | None, plane_mask: np.ndarray | None) -> None:
        """Outline a component on the axial view (None clears)."""

    def retrain(self, penalty: float | None) -> str:
        """Show the Training tab, the artefact penalty set when given; a status line."""

    def status(self, message: str) -> None:
        """Say something in the status bar."""


class WindowHost:
    """:class:`ReviewHost` over the main window."""

    def __init__(self, window: ReviewWindow, layer: Any) -> None:
        self.window, self.layer = window, layer

    def show_entry(self, case_id: str, z: int, run_dir: Path) -> None:  # noqa: D102
        self.window.show_relevance(case_id, z, run_dir)

    def viewer_slice(self) -> ViewerSlice | None:  # noqa: D102
        current: ViewerSlice | None = self.window.viewer_slice()
        return current

    def session(self) -> Any:  # noqa: D102
        return self.window.controller.session

    def intensity(self) -> np.ndarray | None:  # noqa: D102
        state = self.window.state
        return state.images.get(state.modality) if state.has_volume else None

    def data(self) -> tuple[Path | None, Workspace | None]:  # noqa: D102
        tabs = self.window.tabs
        return tabs.source, tabs.workspace

    def highlight(self, z: int | None, plane_mask: np.ndarray | None) -> None:  # noqa: D102
        self.layer.set_highlight(z, plane_mask)

    def retrain(self, penalty: float | None) -> str:  # noqa: D102
        training = self.window.tabs.training
        self.window.tabs.setCurrentWidget(training)
        if penalty is None:
            return "Training tab: no artefact regions yet, the artefact penalty stays as it is"
        field = training.findChild(QtWidgets.QDoubleSpinBox, PENALTY_FIELD)
        if field is None:
            return "Training tab: this version's form has no artefact penalty field"
        if field.value() == 0:
            field.setValue(penalty)
        return f"Training tab: artefact penalty {field.value():g}; start the run when ready"

    def status(self, message: str) -> None:  # noqa: D102
        self.window.show_status(message)
