"""Renaming, tagging and deleting runs from the Runs tab (F2, Ctrl+T, Del, the context menu).

The work is :mod:`lrpstudio.app.run_admin`'s; here the table's selection becomes a run,
a name or tags are asked for, and the tab is told what changed. Deleting moves the runs
to the trash beside the runs folder; "Undo delete" puts the last ones back. The run that
trains now cannot be renamed or deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.run_admin import Trashed, delete_run, parse_tags, read_tags, rename_run, restore_run, write_tags
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.gui.shell.shortcuts import shortcut

if TYPE_CHECKING:
    from lrpstudio.gui.runs.view import RunsView

#: ``(title, label, initial text) -> text``, or None when cancelled (tests script it).
AskText = Callable[[str, str, str], "str | None"]


def ask_with_dialog(parent: QtWidgets.QWidget) -> AskText:
    """An :data:`AskText` that asks in a :class:`QInputDialog`."""
    def ask(title: str, label: str, text: str) -> str | None:
        answer, ok = QtWidgets.QInputDialog.getText(parent, title, label, text=text)
        return answer if ok else None
    return ask


class RunAdmin(QtCore.QObject):
    """Rename / tag / delete actions of a :class:`RunsView`, and the tag filter.

    Parameters
    ----------
    view
        The Runs tab; its table gets the actions (shortcuts while it has focus, and its
        context menu).
    """

    #: Run folders were renamed, deleted or restored: lists of runs elsewhere are stale.
    runs_changed = QtCore.Signal()

    def __init__(self, view: RunsView) -> None:
        super().__init__(view)
        self.view = view
        #: The run training now (set by the window); it cannot be renamed or deleted.
        self.training_run: Callable[[], Path | None] | None = None
        self.ask: AskText = ask_with_dialog(view)
        self.last_trashed: list[Trashed] = []
        self.undo_button = QtWidgets.QPushButton("Undo delete", view)
        self.undo_button.setToolTip("Put the runs deleted last back from the trash")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_delete)
        self.filter = QtWidgets.QLineEdit(view)
        self.filter.setPlaceholderText("filter by tag")
        self.filter.setClearButtonEnabled(True)
        self.filter.setToolTip("Show only runs with a tag containing this text")
        self.filter.setMaximumWidth(160)
        self.filter.textChanged.connect(lambda _t: view.refill())
        table = view.table
        table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, key, slot in (("Rename…", "runs.rename", self.rename), ("Tags…", "runs.tags", self.edit_tags),
                                ("Delete (to trash)", "runs.delete", self.delete)):
            action = QtGui.QAction(text, table)
            action.setShortcut(QtGui.QKeySequence(shortcut(key).keys[0]))  # the cheat sheet's binding
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _on=False, s=slot: s())
            table.addAction(action)

    # -- tags in the table ------------------------------------------------------------------
    def add_tags(self, rows: list[dict[str, Any]]) -> None:
        """Put each run's tags into its row (``tags``; a damaged tags.json shows as such)."""
        for row in rows:
            try:
                row["tags"] = read_tags(row["path"])
            except LrpStudioError:
                row["tags"] = ["(damaged tags.json)"]

    def filtered(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows whose tags contain the filter text (all when it is empty)."""
        wanted = self.filter.text().strip().lower()
        if not wanted:
            return rows
        return [r for r in rows if any(wanted in tag.lower() for tag in r.get("tags", []))]

    # -- actions ----------------------------------------------------------------------------
    def _training(self) -> Path | None:
        return self.training_run() if self.training_run is not None else None

    def _one_run(self, what: str) -> Path | None:
        runs = self.view.selected_runs()
        if len(runs) != 1:
            self.view.status.setText(f"Select one run to {what} (untick Group seeds to pick one seed)"
                                     if runs else f"Select a run to {what}")
            return None
        return runs[0]

    def _done(self, text: str, select: list[Path]) -> None:
        self.view.refresh()
        self.view.select_runs(select)
        self.view.status.setText(text)
        self.runs_changed.emit()

    def rename(self, name: str | None = None) -> Path | None:
        """Rename the selected run (asking for the name unless given); its new path, or None."""
        run = self._one_run("rename")
        if run is None:
            return None
        name = name if name is not None else self.ask("Rename run", "New folder name:", run.name)
        if name is None or name.strip() == run.name:
            return None
        try:
            new = rename_run(run, name, self._training())
        except (LrpStudioError, OSError) as error:
            self.view.status.setText(f"Not renamed: {error}")
            return None
        self._done(f"Renamed {run.name} to {new.name}", [new])
        return new

    def edit_tags(self, text: str | None = None) -> list[str] | None:
        """Set the selected run's tags (comma-separated; asked for unless given)."""
        run = self._one_run("tag")
        if run is None:
            return None
        try:
            current = ", ".join(read_tags(run))
        except LrpStudioError:
            current = ""  # a damaged file is replaced by what is typed now
        text = text if text is not None else self.ask("Tags", "Tags (comma-separated):", current)
        if text is None:
            return None
        try:
            tags = write_tags(run, parse_tags(text))
        except (LrpStudioError, OSError) as error:
            self.view.status.setText(f"Tags not saved: {error}")
            return None
        self._done(f"Tags of {run.name}: {', '.join(tags) or 'none'}", [run])
        return tags

    def delete(self) -> list[Trashed]:
        """Move the selected runs to the trash ("Undo delete" brings them back)."""
        runs = self.view.selected_runs()
        if not runs:
            self.view.status.setText("Select the runs to delete")
            return []
        trashed: list[Trashed] = []
        problem = ""
        for run in runs:
            try:
                trashed.append(delete_run(run, self._training()))
            except (LrpStudioError, OSError) as error:
                problem = f"; not deleted: {error}"
        if trashed:
            self.last_trashed = trashed
            self.undo_button.show()
        where = trashed[0].path.parent if trashed else ""
        self._done(f"Moved {len(trashed)} run(s) to {where}{problem}", [])
        return trashed

    def undo_delete(self) -> list[Path]:
        """Restore the runs deleted last; their paths."""
        back: list[Path] = []
        problem = ""
        for item in self.last_trashed:
            try:
                back.append(restore_run(item.path))
            except (LrpStudioError, OSError) as error:
                problem = f"; not restored: {error}"
        self.last_trashed = []
        self.undo_button.hide()
        self._done(f"Restored {len(back)} run(s){problem}", back)
        return back
