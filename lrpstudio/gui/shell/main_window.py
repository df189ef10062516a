"""The main window: case browser, the central tabs, tool and Explain docks, menus, status bar.

Data flow: the window asks the app layer (:mod:`lrpstudio.app.data_source`) for cases
and volumes, hands the segmentation to a core edit session through the
:class:`~lrpstudio.gui.viewer.editing_controller.EditingController`, and shows everything via
one :class:`~lrpstudio.gui.viewer.view_state.ViewState`. Questions go through a
:class:`~lrpstudio.gui.shell.prompts.Prompter`; errors through one
:class:`~lrpstudio.gui.shell.application.ErrorReporter`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app import data_source
from lrpstudio.app.data_source import CaseRow
from lrpstudio.app.slices import ViewerSlice, capture
from lrpstudio.core.paths import user_log_dir
from lrpstudio.gui.explain.panel import ExplainPanel
from lrpstudio.gui.review.wiring import attach_review
from lrpstudio.gui.shell.actions import RecentMenu, build_actions, build_menus
from lrpstudio.gui.shell.application import ErrorReporter
from lrpstudio.gui.shell.docks import TabDocks, add_labels_dock, build_docks
from lrpstudio.gui.shell.prompts import Prompter
from lrpstudio.gui.shell.demo_data import demo_root
from lrpstudio.gui.shell.placement import place_on_screen
from lrpstudio.gui.shell.session import save_session
from lrpstudio.gui.shell.settings import RecentList, SessionMemory, WindowMemory
from lrpstudio.gui.shell.shortcuts import cheat_sheet_dialog
from lrpstudio.gui.shell.tabs import StudioTabs
from lrpstudio.gui.training.progress_badge import TrainingBadge
from lrpstudio.gui.viewer.case_browser import CaseBrowser
from lrpstudio.gui.viewer.case_loader import CaseLoader
from lrpstudio.gui.viewer.commands import connect_controls, sync_controls, view_commands
from lrpstudio.gui.viewer.edit_marks import EditMarks
from lrpstudio.gui.viewer.editing_controller import EditingController
from lrpstudio.gui.viewer.hold_to_hide import HoldToHide
from lrpstudio.gui.viewer.label_panel import LabelPanel
from lrpstudio.gui.viewer.mask_saver import MaskSaver
from lrpstudio.gui.viewer.ortho_views import OrthoViews
from lrpstudio.gui.viewer.pins_dialog import PinsDialog, add_pins_menu_item
from lrpstudio.gui.viewer.tool_panel import ToolPanel
from lrpstudio.gui.viewer.readout import VoxelReadout, convention_label
from lrpstudio.gui.viewer.view_state import ViewState
from lrpstudio.gui.viewer.window_level import link_window_level

log = logging.getLogger(__name__)

class MainWindow(QtWidgets.QMainWindow):
    """lrpstudio's desktop window.

    Parameters
    ----------
    prompter
        Asks the user questions (default: modal dialogs).
    recent
        The recent-folders list (default: the user's settings file).
    """

    def __init__(self, prompter: Prompter | None = None, recent: RecentList | None = None) -> None:
        super().__init__()
        self.setWindowTitle("lrpstudio")
        self.setAcceptDrops(True)
        self.prompter = prompter or Prompter(self)
        self.recent = recent or RecentList()
        #: Size and session (form, docks, last case), kept beside the recent folders.
        self.window_memory = WindowMemory(self.recent.path)
        self.session_memory = SessionMemory(self.recent.path)
        #: False: nothing is remembered (a --screenshot run): no recent folder, no session.
        self.remember_session = True
        #: The folder opened (a workspace given explicitly, else the data folder), resolved.
        self.opened: Path | None = None
        #: The built-in demo folder (File > Open demo data), generated on first use.
        self.demo_folder: Callable[[QtWidgets.QWidget], Path] = demo_root
        place_on_screen(self, self.window_memory)
        self.reporter = ErrorReporter(lambda: self, self.show_status)
        self.state = ViewState(self)
        self.views = OrthoViews(self.state, self)
        self.browser = CaseBrowser(self)
        self.marks = EditMarks(self.browser, lambda: self.data, lambda case, s: self.set_review(s, case))
        self.data: data_source.DataSource | None = None
        #: Journals the user chose to restore, by case id: replayed when that case opens.
        self.pending_journals: dict[str, Path] = {}
        self.case: data_source.Case | None = None
        self.action_map = build_actions(self, self._handlers(), self.run_guarded)
        self.panel = ToolPanel(self.action_map, self)
        self.loader = CaseLoader(self)
        self.controller = EditingController(self.state, self.views, self.panel, self.show_status,
                                             self.run_guarded)
        self._build_layout()
        self._build_menus()
        self._connect()
        self.saver = MaskSaver(self.statusBar(), self.action_map, lambda: self.views.set_tool(None),
                               lambda: self.controller.set_tool(self.controller.tool),
                               lambda error, context: self.reporter.report(error, context), self)
        self.review = attach_review(self)  # the relevance layer and the Review tab

    # -- construction -------------------------------------------------------------------
    def _handlers(self) -> dict[str, Callable[[], object]]:
        return {
            "file.open_folder": self.choose_folder,
            "file.open_workspace": self.choose_workspace,
            "file.save": lambda: self.save(wait=False),
            "file.quit": self.close,
            "case.next": lambda: self.browser.step(+1),
            "case.previous": lambda: self.browser.step(-1),
            "case.status_in_progress": lambda: self.set_review("in progress"),
            "case.status_done": lambda: self.set_review("done"),
            "case.status_flagged": lambda: self.set_review("flagged"),
            **view_commands(self.state, self.views, self._preset),
            "view.pin_slice": self.pin_slice,
            "view.compare": self._compare,
            "view.link": lambda: self.views.set_linked(self.action_map["view.link"].isChecked()),
            "view.next_large": lambda: self.show_status(f"Large view: {self.views.next_large()}", 3000),
            "window.viewer": lambda: self.tabs.setCurrentIndex(0),
            "window.training": lambda: self.tabs.setCurrentWidget(self.tabs.training),
            "window.runs": lambda: self.tabs.setCurrentWidget(self.tabs.runs),
            "window.similar": lambda: self.tabs.setCurrentWidget(self.tabs.similar),
            "analyse.explain": self.explain_current,
            "analyse.similar": self.find_similar,
            "help.cheatsheet": self.show_cheat_sheet,
        }

    def _build_layout(self) -> None:
        self.tabs = StudioTabs(self.views, self.viewer_slice, self)
        self.setCentralWidget(self.tabs)
        self.explain = ExplainPanel(self.state, self)
        self.docks = build_docks(self, self.browser, self.panel, self.explain)
        self.labels = LabelPanel(self.state, self.action_map["view.compare"], lambda: self.case, self)
        self.docks["labels"] = add_labels_dock(self, self.labels, self.docks["tools"])
        link_window_level(self.panel.window_width, self.panel.window_level, self.state)
        self.tab_docks = TabDocks(self.tabs, self.docks, hidden_on=("Training", "Runs", "Similar cases", "Review"))
        self.readout = VoxelReadout(self.state, self.views, self)
        self.statusBar().addPermanentWidget(self.readout)
        self.training_badge = TrainingBadge(self.tabs.training, self)  # progress from any tab
        self.training_badge.clicked.connect(lambda: self.tabs.setCurrentWidget(self.tabs.training))
        self.statusBar().addPermanentWidget(self.training_badge)
        self.statusBar().addPermanentWidget(convention_label(self))

    def _build_menus(self) -> None:
        menus = build_menus(self, self.action_map)
        self.recent_menu = RecentMenu(self.recent, self)
        menus["File"].insertMenu(self.action_map["file.save"], self.recent_menu)
        self.recent_menu.chosen.connect(lambda path: self.run_guarded(lambda: self.open_path(path)))
        demo = QtGui.QAction("Open &demo data", self)
        menus["File"].insertAction(self.recent_menu.menuAction(), demo)
        demo.triggered.connect(lambda: self.run_guarded(lambda: self.open_path(self.demo_folder(self))))
        menus["Window"].addSeparator()
        for dock in self.docks.values():
            menus["Window"].addAction(dock.toggleViewAction())
        self.pins_dialog = PinsDialog(lambda: self.data, self)
        self.pins_dialog.go_to.connect(lambda case, z: self.run_guarded(lambda: self.open_at(case, z)))
        add_pins_menu_item(menus["View"], self.action_map["view.pin_slice"], self.pins_dialog)
        log_action = menus["Help"].addAction("Open log folder")
        log_action.triggered.connect(self._open_log_folder)

    def _connect(self) -> None:
        self.browser.case_activated.connect(lambda row: self.run_guarded(lambda: self.open_case(row)))
        self.browser.status_requested.connect(
            lambda case_id, s: self.run_guarded(lambda: self.set_review(s, case_id)))
        connect_controls(self.panel, self.state, self.action_map, self._preset, self.run_guarded)
        self.controller.edited.connect(self._on_edited)
        for action_id, action in self.action_map.items():
            if action_id.startswith(("tool.", "label.")):  # its settings are in the Tools dock
                action.triggered.connect(self._show_tools)
        self.loader.loaded.connect(lambda loaded: self.run_guarded(lambda: self._show_loaded(loaded)))
        self.tabs.runs_dir_changed.connect(self.explain.set_runs_dir)
        self.tabs.training.run_ended.connect(lambda _run, _how: self.explain.refresh())
        self.tabs.similar.open_requested.connect(
            lambda case_id, z: self.run_guarded(lambda: self.open_at(case_id, z)))
        self.loader.failed.connect(self._on_load_failed)
        self.hold_to_hide = HoldToHide(self.state, self)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.installEventFilter(self.hold_to_hide)

    def _on_load_failed(self, error: Exception, case_id: str) -> None:
        """Report a case that could not be opened, and show its new problem in its row."""
        self.reporter.report(error, f"could not open {case_id}")
        row = self.data.row(case_id) if self.data is not None else None
        if row is not None:
            self.browser.update_row(case_id, problems=row.problems, openable=row.openable,
                                    ref=row.ref)

    # -- helpers ----------------------------------------------------------------------
    def run_guarded(self, func: Callable[[], object]) -> None:
        """Run a user command; any error becomes one dialog and a log entry."""
        try:
            func()
        except Exception as error:  # noqa: BLE001 - the GUI's error boundary
            self.reporter.report(error)

    def show_status(self, message: str, timeout_ms: int = 8000) -> None:
        """Say what happened in the status bar."""
        self.statusBar().showMessage(message, timeout_ms)
        log.info("status: %s", message)

    def _preset(self, index: int | None) -> None:
        if self.state.has_volume:
            name = self.state.apply_preset(index)
            self.show_status(f"Window/level: {name}", 3000)
            sync_controls(self.panel, self.state, self.action_map)

    # -- opening data -----------------------------------------------------------------
    def choose_folder(self) -> None:
        """Ask for a BraTS folder and open it."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open BraTS folder")
        if path:
            self.open_path(Path(path))

    def choose_workspace(self) -> None:
        """Ask for a workspace folder and open it."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open workspace")
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path, workspace: Path | None = None, open_first: bool = True,
                  offer_restore: bool = True, case_id: str | None = None) -> None:
        """Open a BraTS folder or a workspace (after asking about unsaved edits), at case
        ``case_id`` when it is there (else the first). A folder without cases is refused
        (an error) before anything changes: the open case stays, nothing is written."""
        if not self.confirm_discard():
            return
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            source = data_source.open_source(Path(path), workspace)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.controller.detach()
        self.case = None
        self.explain.set_case(None)
        self.data = source
        self.tabs.set_source(source.root, source.workspace)
        self.browser.set_rows(source.rows())
        # With an explicit workspace, remember the workspace: reopening it reopens its data
        # (and finds its recovery journals); otherwise the data folder.
        self.opened = (Path(workspace) if workspace is not None else Path(path)).resolve()
        if self.remember_session:
            self.recent.add(self.opened)
        self.setWindowTitle(f"lrpstudio — {source.root}")
        self.show_status(f"Opened {source.root}: {len(source.refs)} cases")
        if offer_restore and self.offer_restore():
            return
        if open_first:
            wanted = self.browser.row_of(case_id) if case_id is not None else None
            first = wanted if wanted is not None and wanted.openable else \
                next((row for row in self.browser.rows if row.openable), None)
            if first is not None:
                self.browser.select(first.case_id)

    def offer_restore(self) -> bool:
        """Offer to restore journals left by a crash; True when a case was restored."""
        if self.data is None:
            return False
        found = self.data.recoverable()
        if not found:
            return False
        if not self.prompter.ask_restore(self.data.describe_journals(found)):
            self.data.discard_journals(found)
            self.show_status("Unsaved edits of the previous session discarded")
            return False
        self.pending_journals = self.data.restorable(found)
        if not self.pending_journals:
            self.show_status("No restorable journal matched a case of this folder")
            return False
        for case_id in self.pending_journals:
            self.browser.update_row(case_id, edited=True)
        row = self.browser.row_of(next(iter(self.pending_journals)))
        if row is None:  # restorable() kept only journals of this folder's cases
            return False
        self.browser.select(row.case_id, emit=False)
        self.open_case(row)
        if len(self.pending_journals):
            self.show_status(f"Restored {row.case_id}; unsaved edits of "
                             f"{', '.join(self.pending_journals)} are restored when opened")
        return True

    def open_case(self, row: CaseRow, journal: Path | None = None) -> None:
        """Load a case and start an edit session on its mask (restored from ``journal``)."""
        if self.data is None or (self.case is not None and row.case_id == self.case.id
                                 and journal is None):
            self.loader.cancel()  # back to the shown case: drop a load still running
            return
        if not row.openable:
            self.show_status(f"{row.case_id} cannot be opened: {'; '.join(row.problems)}")
            return
        if not self.confirm_discard():
            if self.case is not None:
                self.browser.select(self.case.id, emit=False)
            return
        journal = journal or self.pending_journals.pop(row.case_id, None)
        self.show_status(f"Loading {row.case_id}…", 0)
        self.loader.request(self.data, row, journal)

    def _show_loaded(self, loaded: data_source.Loaded) -> None:
        """Show a loaded case and edit its session (the loader's result)."""
        if loaded.restore_error is not None:
            self.reporter.report(loaded.restore_error,
                                 f"could not restore the unsaved edits of {loaded.case.id}")
        case, session = loaded.case, loaded.session
        self.controller.detach()
        self.case = case
        self.state.set_volume(case.images, session.seg, case.affine)
        self.controller.attach(session, case)
        self.explain.set_case(str(case.id), case.grade)
        self.browser.select(case.id, emit=False)
        self.setWindowTitle(f"lrpstudio — {case.id}" + (" *" if self.controller.dirty else ""))
        restored = " (restored unsaved edits)" if loaded.journal is not None else ""
        self.show_status(f"Opened {case.id}{restored}")
        if loaded.journal is not None:
            self.browser.update_row(case.id, edited=True)

    def _compare(self) -> None:
        """Compare mode follows its action; turning it on brings the label table forward."""
        on = self.action_map["view.compare"].isChecked()
        self.state.set_compare(on)
        if on and self.tabs.currentIndex() == 0:
            self.docks["labels"].show()
            self.docks["labels"].raise_()
        if on and self.state.original is None:
            self.show_status("Compare mode: this case has no original mask in the data folder; "
                             "the labels are shown", 6000)
            return
        self.show_status("Compare mode: original vs corrected (blue added, vermillion removed, "
                         "yellow relabelled)" if on else "Compare mode off", 4000)

    # -- tabs and docks -------------------------------------------------------------------
    def _show_tools(self) -> None:
        """Bring the Tools dock to the front (a tool key was pressed)."""
        if self.tabs.currentIndex() == 0:
            self.docks["tools"].show()
            self.docks["tools"].raise_()

    def explain_current(self) -> None:
        """Explain the viewer's current slice in the Explain dock."""
        self.docks["explain"].show()
        self.docks["explain"].raise_()
        self.explain.explain()

    def find_similar(self) -> None:
        """Find training slices similar to the viewer's current slice."""
        self.tabs.setCurrentWidget(self.tabs.similar)
        self.tabs.similar.query_current()

    def viewer_slice(self) -> ViewerSlice | None:
        """The viewer's current axial slice (a copy of the mask), or None without an open case."""
        if self.case is None or not self.state.has_volume:
            return None
        return capture(str(self.case.id), getattr(self.case, "grade", None), self.state.images,
                       self.state.seg, int(self.state.cursor[2]))

    def open_at(self, case_id: str, z: int) -> None:
        """Show axial slice ``z`` of a case in the viewer (opening the case first when needed)."""
        row = self.browser.row_of(case_id)
        if row is None:
            self.tabs.similar.say(f"{case_id} is not in the open data folder")
            return

        if self.case is not None and self.case.id == case_id:
            self._go_to_slice(z)
            return
        self.loader.when_loaded(case_id, lambda: self._go_to_slice(z))
        self.browser.select(case_id)

    def show_relevance(self, case_id: str, z: int, run_dir: Path) -> None:
        """Open a case at axial slice ``z`` (if not open) with the relevance layer on for a run."""
        self.review.show_relevance(case_id, z, run_dir)

    def _go_to_slice(self, z: int) -> None:
        c = self.state.cursor
        self.state.set_cursor((c[0], c[1], int(z)))
        self.tabs.setCurrentIndex(0)
        self.docks["explain"].raise_()  # a neighbour is opened to be explained: its dock in front

    # -- saving and review ---------------------------------------------------------------
    def save(self, wait: bool = True) -> bool:
        """Save the current mask as the case's correction, on a worker thread.

        Editing pauses while the file is written (:mod:`lrpstudio.gui.viewer.mask_saver`).
        With ``wait`` (scripts, the unsaved-edits question) this returns when the file is
        written and raises a failure; Ctrl+S does not wait, and a failure is one dialog.
        """
        session = self.controller.session
        if self.case is None or self.data is None or session is None:
            self.show_status("Nothing to save")
            return False
        if not self.controller.dirty:
            self.show_status(f"{self.case.id}: no unsaved edits")  # no needless correction file
            return True
        self.marks.saved(str(self.case.id))
        case_id = self.case.id

        def saved(path: Path) -> None:
            self.browser.update_row(case_id, edited=True)
            self.show_status(f"Saved {case_id} to {path}")

        self.saver.save(session, case_id, saved, wait=wait)
        return True

    def confirm_discard(self) -> bool:
        """Ask about unsaved edits; True when it is fine to move on."""
        self.saver.wait()  # a save still running decides whether edits are unsaved
        if self.case is None or not self.controller.dirty:
            return True
        answer = self.prompter.ask_save(self.case.id)
        if answer == "cancel":
            return False
        if answer == "save":
            try:
                return self.save()
            except Exception as error:  # noqa: BLE001 - a failed save must not lose edits
                self.reporter.report(error, "save failed")
                return False
        self.controller.discard()
        return True

    def set_review(self, status: str, case_id: str | None = None) -> None:
        """Set a case's review status in the workspace."""
        case_id = case_id or (self.case.id if self.case is not None else None)
        if case_id is None or self.data is None:
            return
        self.data.set_review(case_id, status)
        self.browser.update_row(case_id, review=status)
        self.show_status(f"{case_id}: {status}", 3000)

    def pin_slice(self) -> bool:
        """Pin the open case's current axial slice in the workspace (for the next run's Fig. 7)."""
        if self.case is None or self.data is None or not self.state.has_volume:
            self.show_status("Open a case of a workspace to pin its slices")
            return False
        z = int(self.state.cursor[2])
        added = self.data.pin(self.case.id, z)
        self.show_status(f"Pinned {self.case.id} z{z}: the next training run explains it every epoch"
                         if added else f"{self.case.id} z{z} is already pinned", 5000)
        return added

    def _on_edited(self, dirty: bool) -> None:
        if self.case is not None:
            self.marks.changed(str(self.case.id), dirty)
        title = f"lrpstudio — {self.case.id}" if self.case is not None else "lrpstudio"
        self.setWindowTitle(title + (" *" if dirty else ""))

    # -- events -----------------------------------------------------------------------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.tabs.may_close() and self.confirm_discard():
            self.loader.wait()
            if self.remember_session:
                save_session(self, self.session_memory)
            self.controller.detach()
            event.accept()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802 - Qt API
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            path = Path(urls[0].toLocalFile())
            self.run_guarded(lambda: self.open_path(path if path.is_dir() else path.parent))
            event.acceptProposedAction()

    def show_cheat_sheet(self) -> None:
        """Help → Keyboard shortcuts."""
        self.cheat_sheet = cheat_sheet_dialog(self)

    def _open_log_folder(self) -> None:
        """Help → Open log folder: in the file manager, or its path to open by hand where no
        file manager can be started (openUrl fails, e.g. no desktop launcher)."""
        folder = user_log_dir()
        if not QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder))):
            self.prompter.tell("Log folder", f"No file manager could be opened. The log folder is:\n\n{folder}")
