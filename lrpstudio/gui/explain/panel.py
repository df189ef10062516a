"""The Explain dock: a chosen run's heatmap over the viewer's current axial slice.

The explanation itself is the app's (:func:`lrpstudio.app.explain.explain_viewer_slice`):
the slice is prepared exactly like the run's dataset and scored against the mask as it
is now in the viewer (possibly corrected and not yet saved). The dock follows the
viewer through its :class:`~lrpstudio.gui.viewer.view_state.ViewState` and is told which
case is open (:meth:`ExplainPanel.set_case`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.explain import ModelCache, SliceExplanation, explain_viewer_slice
from lrpstudio.app.pictures import caption, heat_rgba, input_rgba
from lrpstudio.app.slices import capture
from lrpstudio.gui.common.heat_tiles import Tile
from lrpstudio.gui.common.run_box import fill_run_box
from lrpstudio.gui.viewer.view_state import ViewState


class ExplainPanel(QtWidgets.QWidget):
    """A dock: choose a run, explain the viewer's current slice.

    Parameters
    ----------
    state
        The viewer's state (volumes, mask, cursor), followed for staleness and "follow".
    """

    #: The viewer's case changed (case id or None, grade or None).
    case_changed = QtCore.Signal(object, object)

    def __init__(self, state: ViewState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.case_id: str | None = None
        self.grade: str | None = None
        self.runs_dir: Path | None = None
        self._models = ModelCache()
        self.result: SliceExplanation | None = None
        self.run_box = QtWidgets.QComboBox(self)
        self.run_box.setToolTip("Model: the best checkpoint of a run")
        self.button = QtWidgets.QPushButton("Explain current slice", self)
        self.follow = QtWidgets.QCheckBox("update when the slice changes", self)
        self.input_tile, self.heat_tile = Tile(self, 200), Tile(self, 200)
        self.text = QtWidgets.QLabel("Open a case and train a run first.", self)
        self.text.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        for w in (self.run_box, self.button, self.follow, self.input_tile, self.heat_tile, self.text):
            layout.addWidget(w)
        layout.addStretch(1)
        self.sections = layout  # more sections (the relevance layer's) go before the stretch
        self.button.clicked.connect(self._guarded)
        self.button.setToolTip("Explain the viewer's current axial slice with the chosen run (Ctrl+E)")
        self._shown_for: tuple[str, int] | None = None  # (case id, z) of the result shown
        self._summary = ""
        state.cursor_changed.connect(self._on_cursor)
        state.volume_changed.connect(self._mark_if_stale)
        state.seg_changed.connect(lambda _r: self._mark_if_stale(mask_edited=True))

    def set_case(self, case_id: str | None, grade: str | None = None) -> None:
        """The case the viewer shows now (None: none); its grade is the class explained."""
        self.case_id, self.grade = case_id, grade
        self.case_changed.emit(case_id, grade)

    def set_runs_dir(self, path: str | Path) -> None:
        """Offer the runs under ``path``."""
        self.runs_dir = Path(path)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the runs that have a best checkpoint."""
        fill_run_box(self.run_box, self.runs_dir)

    def _viewer_at(self) -> tuple[str, int] | None:
        if self.case_id is None or not self.state.has_volume:
            return None
        return self.case_id, int(self.state.cursor[2])

    def _on_cursor(self, _voxel: Any) -> None:
        if self.follow.isChecked():
            self._guarded()
        else:
            self._mark_if_stale()

    def _mark_if_stale(self, mask_edited: bool = False) -> None:
        """Say so when the result shown is no longer the viewer's slice (or mask)."""
        if self._shown_for is None:
            return
        now = self._viewer_at()
        if now == self._shown_for and not mask_edited:
            return
        case, z = self._shown_for
        why = ("the mask was edited since" if now == self._shown_for
               else f"the viewer is at {now[0]} z{now[1]}" if now else "the case was closed")
        self.input_tile.setEnabled(False)
        self.heat_tile.setEnabled(False)
        self.text.setText(f"<b>Out of date</b>: showing {case} z{z}; {why}. Press Explain "
                          f"(Ctrl+E) to update.<br><span style='color:gray'>{self._summary}</span>")

    @property
    def stale(self) -> bool:
        """True when the shown explanation no longer matches the viewer."""
        return not self.heat_tile.isEnabled()

    def _guarded(self) -> None:
        try:
            self.explain()
        except Exception as error:  # noqa: BLE001 - shown, not raised into Qt
            self.text.setText(f"Error: {error}")

    def explain(self) -> SliceExplanation | None:
        """Explain the current slice with the chosen run; shows and returns the result."""
        state, run = self.state, self.run_box.currentData()
        if run is None or self.case_id is None or not state.has_volume:
            self.text.setText("Choose a run and open a case first.")
            return None
        current = capture(self.case_id, self.grade, state.images, state.seg, int(state.cursor[2]))
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            r = explain_viewer_slice(run, current, self._models.get(run))
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.input_tile.show_rgba(input_rgba(r.image, r.tumour), f"{current.case_id} z{current.z}",
                                  "current mask")
        self.heat_tile.show_rgba(heat_rgba(r.relevance, r.vmax), Path(run).name,
                                 caption(r.score, r.prediction, r.label))
        self._summary = r.summary()
        self.text.setText(self._summary)
        self.input_tile.setEnabled(True)
        self.heat_tile.setEnabled(True)
        self._shown_for = (current.case_id, current.z)
        self.result = r
        return r
