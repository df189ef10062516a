"""One open queue entry: its outside components in the viewer, and the verdicts on them.

Opening an entry shows the case at its slice with the relevance layer on; once the viewer
is there, the slice's outside components are found against the mask *as it is now*
(:func:`lrpstudio.app.review.viewer_components`, in the background) and the largest is
outlined; N / Shift+N step through them. A verdict marks the entry in the workspace and
moves on to the next open entry:

- **Add to mask**: the component (optionally only voxels within an intensity range) is
  added to the mask as one undoable step of the viewer's edit session; the expert saves.
- **Artefact / shortcut**: the component joins the case's artefact region in the workspace.
- **Fine** and **Skip**: only the state changes.

The next entry opens at once unless it is another case and the mask has unsaved edits;
then it is selected and the status bar asks to save first (no save dialog mid-review).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.relevance_layer import component_planes
from lrpstudio.app.review import ModelCache, OutsideComponent, QueueEntry, viewer_components
from lrpstudio.app.verdicts import ArtefactStore, add_to_mask, extended_suggestion
from lrpstudio.gui.common.workers import Worker
from lrpstudio.gui.review.host import ReviewHost

if TYPE_CHECKING:
    from lrpstudio.gui.review.panel import ReviewPanel

#: Label painted by "add to mask" when the session's active label is not a tumour label.
DEFAULT_LABEL = 2
#: The artefact penalty "Retrain with corrections" proposes when artefact regions exist.
RETRAIN_PENALTY = 1.0
#: How long to wait for the viewer to reach an entry's slice before giving up (ms).
OPEN_TIMEOUT_MS = 60_000


class EntryReview(QtCore.QObject):
    """The entry box of the Review tab and what its buttons do."""

    def __init__(self, panel: "ReviewPanel", host: ReviewHost) -> None:
        super().__init__(panel)
        self.panel, self.host = panel, host
        self.models = ModelCache()
        self.row: int | None = None
        self.components: list[OutsideComponent] = []
        self.planes: list[np.ndarray] | None = None  # per component, (I, J) bool at the entry's z
        self.component = 0
        self.worker: Worker | None = None
        self._waited = 0
        self._poll = QtCore.QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check_viewer)
        self._build(panel.side)

    def _build(self, side: QtWidgets.QWidget) -> None:
        self.title = QtWidgets.QLabel("No entry open.")
        self.title.setWordWrap(True)
        self.where = QtWidgets.QLabel("")
        self.where.setWordWrap(True)
        self.previous_button, self.next_button = QtWidgets.QPushButton("◀ Previous"), QtWidgets.QPushButton("Next ▶")
        self.buttons = {name: QtWidgets.QPushButton(text) for name, text in (
            ("add to mask", "Add to mask"), ("artefact", "Artefact / shortcut"), ("fine", "Fine"), ("skip", "Skip"))}
        self.extend = QtWidgets.QCheckBox("extend over similar tissue")
        self.extend.setChecked(True)
        self.extend.setToolTip("Add the blob and the tissue connected to it whose intensity in the shown "
                               "image lies in the blob's own 10-90 % range (outside the mask, inside the "
                               "brain): relevance marks part of a missed region, rarely all of it")
        self.limit = QtWidgets.QCheckBox("only voxels with intensity in")
        self.low, self.high = QtWidgets.QDoubleSpinBox(), QtWidgets.QDoubleSpinBox()
        for box in (self.low, self.high):
            box.setRange(-1e9, 1e9)
            box.setDecimals(1)
        self.high.setValue(1e4)
        self.retrain_button = QtWidgets.QPushButton("Retrain with corrections…")
        self.retrain_button.setToolTip("Open the Training tab; with artefact regions stored, the artefact "
                                       "penalty is set so the next run is kept from using them")
        layout = QtWidgets.QVBoxLayout(side)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.title)
        nav = QtWidgets.QHBoxLayout()
        nav.addWidget(QtWidgets.QLabel("Component"))
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        layout.addWidget(self.where)
        grid = QtWidgets.QGridLayout()
        for i, button in enumerate(self.buttons.values()):
            grid.addWidget(button, i // 2, i % 2)
        layout.addLayout(grid)
        limits = QtWidgets.QHBoxLayout()
        limits.addWidget(self.low)
        limits.addWidget(QtWidgets.QLabel("…"))
        limits.addWidget(self.high)
        layout.addWidget(self.extend)
        layout.addWidget(self.limit)
        layout.addLayout(limits)
        layout.addStretch(1)
        layout.addWidget(self.retrain_button)
        self.previous_button.clicked.connect(lambda: self.step_component(-1))
        self.next_button.clicked.connect(lambda: self.step_component(+1))
        for name, button in self.buttons.items():
            button.clicked.connect(lambda _c=False, n=name: self.guarded(lambda: self.verdict(n)))
        self.retrain_button.clicked.connect(lambda: self.guarded(self.retrain))

    def guarded(self, func: Any) -> None:
        """Run a button's action; an error is said, not raised into Qt."""
        try:
            func()
        except Exception as error:  # noqa: BLE001 - shown, not raised into Qt
            self.host.status(f"Review: {error}")
            self.where.setText(f"Error: {error}")

    @property
    def entry(self) -> QueueEntry | None:
        """The open entry."""
        return None if self.row is None else self.panel.model.entries[self.row]

    # -- opening -----------------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        """Open model row ``row`` in the viewer with the layer on; find its components."""
        queue = self.panel.queue
        if queue is None or not 0 <= row < len(queue.entries):
            return
        self.row, self.component, self.components, self.planes = row, 0, [], None
        entry = self.panel.model.entries[row]
        self.panel.select_source_row(row)
        self.title.setText(f"<b>#{entry.rank} {entry.case_id} z{entry.z}</b>: {entry.label}, predicted "
                           f"{entry.prediction} ({entry.confidence:.2f}); outside the mask "
                           f"{100 * entry.outside_fraction:.0f} %")
        self.where.setText("Finding the outside components…")
        self.host.highlight(None, None)
        self.host.show_entry(entry.case_id, entry.z, queue.run_dir)
        self._waited = 0
        self._poll.start()

    def _check_viewer(self) -> None:
        """Start the components once the viewer shows the entry's slice."""
        entry, current = self.entry, self.host.viewer_slice()
        self._waited += self._poll.interval()
        if entry is None or self._waited > OPEN_TIMEOUT_MS:
            self._poll.stop()
            return
        if current is None or current.case_id != entry.case_id or current.z != entry.z or self.worker is not None:
            return
        self._poll.stop()
        run, models = self.panel.queue.run_dir if self.panel.queue else None, self.models
        if run is None:
            return

        def job(_progress: Any, _cancel: Any) -> tuple[list[OutsideComponent], list[np.ndarray]]:
            components, labels, plane = viewer_components(run, current, models.get(run))
            return components, component_planes(labels, len(components), plane)

        self.worker = Worker(job, self)
        self.worker.finished.connect(lambda w=self.worker, key=entry.key: self._on_components(w, key))
        self.worker.start()

    def _on_components(self, worker: Worker, key: str) -> None:
        self.worker = None
        worker.deleteLater()
        entry = self.entry
        if entry is None or entry.key != key:
            return  # another entry was opened meanwhile
        if worker.error is not None:
            self.where.setText(f"Error: {worker.error}")
            return
        self.components, self.planes = worker.result
        self.show_component(0)

    def show_component(self, index: int) -> None:
        """Highlight outside component ``index`` (wrapping) of the open entry."""
        entry = self.entry
        if entry is None or not self.components or self.planes is None:
            if entry is not None and self.planes is not None:
                self.where.setText("No relevance outside the mask on this slice.")
            return
        self.component = index % len(self.components)
        c = self.components[self.component]
        self.where.setText(f"{self.component + 1} of {len(self.components)}: {c.where}, "
                           f"{100 * c.mass_fraction:.0f} % of the positive relevance, {c.voxels} voxels "
                           f"(outlined in magenta)")
        self.host.highlight(entry.z, self.planes[self.component])
        # Short enough for a 1366 px status bar: the keys work from the viewer.
        self.host.status(f"#{entry.rank} {entry.case_id} z{entry.z}, blob {self.component + 1}/{len(self.components)}"
                         f" ({c.where}): Ctrl+Shift+ M add to mask, A artefact, G fine, S skip; N next blob")

    def step_component(self, delta: int) -> None:
        """The next (+1) or previous (-1) component."""
        self.show_component(self.component + delta)

    # -- verdicts ----------------------------------------------------------------------------
    def _plane(self) -> np.ndarray:
        if self.planes is None or not self.components:
            raise RuntimeError("no outside component is highlighted on this slice")
        return self.planes[self.component]

    def verdict(self, name: str) -> None:
        """Apply a verdict ("add to mask", "artefact", "fine" or "skip") and move on."""
        entry, queue, store = self.entry, self.panel.queue, self.panel.store()
        if entry is None or queue is None:
            raise RuntimeError("open an entry of the queue first (Enter)")
        if store is None:
            raise RuntimeError("verdicts are kept in a workspace: open a data folder or workspace")
        message = f"{entry.case_id} z{entry.z}: {name}"
        if name == "add to mask":
            message = self._add_to_mask(entry)
        elif name == "artefact":
            message = self._artefact(entry, queue.run_dir)
        state = store.set(queue.run_dir.name, entry.key, "skipped" if name == "skip" else "done",
                          None if name == "skip" else name)
        self.panel.model.set_state(entry.key, state)
        self.host.status(message)
        self.advance()

    def _viewer_at(self, entry: QueueEntry) -> Any:
        current = self.host.viewer_slice()
        if current is None or current.case_id != entry.case_id or current.z != entry.z:
            raise RuntimeError(f"the viewer is not at {entry.case_id} z{entry.z}: open the entry again")
        return current

    def _add_to_mask(self, entry: QueueEntry) -> str:
        current = self._viewer_at(entry)
        session = self.host.session()
        active = int(session.policy.active_label)
        label = active if active in (1, 2, 3) else DEFAULT_LABEL
        low, high = (self.low.value(), self.high.value()) if self.limit.isChecked() else (None, None)
        shown = self.host.intensity()
        plane = self._plane()
        if self.extend.isChecked() and shown is not None:
            plane = extended_suggestion(plane, current, shown)
        intensity = shown if self.limit.isChecked() else None
        step = add_to_mask(session, entry.z, plane, label, intensity, low, high)
        added = 0 if step is None else int(np.size(step.change.indices))
        return (f"{entry.case_id} z{entry.z}: added {added} voxels to the mask as label {label} "
                "(Ctrl+Z undoes it; Ctrl+S saves)" if step is not None else
                f"{entry.case_id} z{entry.z}: nothing to add (already in the mask or outside the intensity range)")

    def _artefact(self, entry: QueueEntry, run_dir: Path) -> str:
        current = self._viewer_at(entry)
        workspace = self.host.data()[1]
        assert workspace is not None  # the store exists, so the workspace does
        shape = next(iter(current.images.values())).shape
        total = ArtefactStore(workspace).add(entry.case_id, entry.z, self._plane(), tuple(shape), run_dir.name)
        return f"{entry.case_id} z{entry.z}: artefact region stored ({total} voxels for the case)"

    def advance(self) -> None:
        """Go to the next open entry (opened at once unless unsaved edits of another case wait)."""
        if self.row is None:
            return
        following = self.panel.next_open_row(self.row)
        if following is None:
            self.host.highlight(None, None)
            self.where.setText("Every entry of the queue is reviewed.")
            return
        nxt, session = self.panel.model.entries[following], self.host.session()
        current = self.entry
        if current is not None and nxt.case_id != current.case_id and session is not None and session.dirty:
            self.panel.select_source_row(following)
            self.host.status(f"Unsaved edits of {current.case_id}: save (Ctrl+S), then Enter opens "
                             f"{nxt.case_id} z{nxt.z}")
            return
        self.open_row(following)

    def retrain(self) -> None:
        """Open the Training tab with the artefact penalty set when artefact regions exist."""
        workspace = self.host.data()[1]
        regions = ArtefactStore(workspace).cases() if workspace is not None else []
        self.host.status(self.host.retrain(RETRAIN_PENALTY if regions else None))

    def wait(self, msecs: int) -> None:
        """Wait for a components computation still running."""
        self._poll.stop()
        if self.worker is not None:
            self.worker.wait(msecs)
