"""The relevance layer and the Review tab, attached to the main window.

The window keeps its own construction; :func:`attach_review` adds, in one place, what
the review loop brings: the :class:`~lrpstudio.gui.viewer.relevance_layer.RelevanceLayer`
over the slice views, its settings in the Explain dock (which owns the run picker), the
on/off key, and the Review tab. :meth:`ReviewWiring.show_relevance` is what the window's
``show_relevance`` does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from lrpstudio.gui.review.host import ReviewWindow, WindowHost
from lrpstudio.gui.review.panel import ReviewPanel
from lrpstudio.gui.shell.shortcuts import shortcut
from lrpstudio.gui.viewer.relevance_controls import RelevanceControls
from lrpstudio.gui.viewer.relevance_layer import RelevanceLayer


class ReviewWiring(QtCore.QObject):
    """What :func:`attach_review` made: ``layer``, ``controls`` (and the Review tab)."""

    def __init__(self, window: ReviewWindow) -> None:
        super().__init__(window.tabs)  # the window's child: it lives as long as the window
        self.window = window
        self.layer = RelevanceLayer(window.state, window.views, window.tabs)
        explain = window.explain
        self.controls = RelevanceControls(self.layer, explain.run_box, shortcut("view.relevance").keys[0], explain)
        # Under the run picker and its buttons, above the tiles: in view on a 768 px high screen.
        explain.sections.insertWidget(min(3, explain.sections.count() - 1), self.controls)
        explain.case_changed.connect(self.layer.set_case)
        self.layer.set_case(explain.case_id, explain.grade)
        window.action_map["view.relevance"].triggered.connect(lambda _c=False: window.run_guarded(self.toggle))
        self.layer.failed.connect(lambda message: window.show_status(f"Relevance layer: {message}"))
        self.panel = ReviewPanel(WindowHost(window, self.layer), window.tabs)
        self._add_tab(window)
        window.installEventFilter(self)

    def _add_tab(self, window: ReviewWindow) -> None:
        """The Review tab after Runs, following the runs folder; its keys on the window."""
        tabs, panel = window.tabs, self.panel
        tabs.insertTab(tabs.indexOf(tabs.runs) + 1, panel, "Review")
        tabs.review = panel
        tabs.runs_dir_changed.connect(panel.set_runs_dir)
        tabs.training.run_ended.connect(lambda _run, _how: panel.refresh())
        entry = panel.entry
        commands = {
            "window.review": lambda: tabs.setCurrentWidget(panel),
            "review.add_to_mask": lambda: entry.verdict("add to mask"),
            "review.artefact": lambda: entry.verdict("artefact"),
            "review.fine": lambda: entry.verdict("fine"),
            "review.skip": lambda: entry.verdict("skip"),
            "review.next_component": lambda: entry.step_component(+1),
            "review.previous_component": lambda: entry.step_component(-1),
        }
        for action_id, command in commands.items():
            action = window.action_map[action_id]
            action.triggered.connect(lambda _c=False, f=command: window.run_guarded(f))
        for name, action_id in (("add to mask", "review.add_to_mask"), ("artefact", "review.artefact"),
                                ("fine", "review.fine"), ("skip", "review.skip")):
            entry.buttons[name].setToolTip(window.action_map[action_id].toolTip())

    def toggle(self) -> None:
        """The layer's key: on or off, and say which run it explains with."""
        on = self.layer.toggle()
        run = Path(self.layer.run_dir).name if self.layer.run_dir else "no run (choose one in the Explain dock)"
        self.window.show_status(f"Relevance layer {'on' if on else 'off'}: {run}", 4000)

    def show_relevance(self, case_id: str, z: int, run_dir: str | Path) -> None:
        """Open ``case_id`` at axial slice ``z`` and turn the layer on for ``run_dir``."""
        box = self.window.explain.run_box
        index = box.findData(str(run_dir))
        if index < 0:
            box.addItem(Path(run_dir).name, str(run_dir))
            index = box.count() - 1
        box.setCurrentIndex(index)
        self.layer.set_run(str(run_dir))
        self.layer.set_enabled(True)
        self.window.open_at(case_id, int(z))

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        """Closing the window: stop a layer computation still running (it restarts if the
        close is refused)."""
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self.layer.wait()
            self.panel.wait()
        return False


def attach_review(window: ReviewWindow) -> ReviewWiring:
    """Add the relevance layer (and the Review tab) to a main window."""
    return ReviewWiring(window)
