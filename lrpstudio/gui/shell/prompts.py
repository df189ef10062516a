"""The questions the window asks the user, behind one small interface.

The window never calls ``QMessageBox.exec`` itself: it asks a :class:`Prompter`. The
default one shows modal dialogs; tests give the window a :class:`ScriptedPrompter` with
the answers a user would click, so the same code paths run without blocking.
"""

from __future__ import annotations

from collections import deque
from typing import Literal, Sequence

from PySide6 import QtCore, QtWidgets

SaveAnswer = Literal["save", "discard", "cancel"]


class Prompter:
    """Modal dialogs for the window's questions."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        self.parent = parent

    def ask_save(self, case_id: str) -> SaveAnswer:
        """Unsaved edits of ``case_id``: save, discard or cancel?"""
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(
            self.parent, "Unsaved edits",
            f"The mask of {case_id} has unsaved edits. Save them?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return "save"
        return "discard" if answer == buttons.Discard else "cancel"

    def ask_restore(self, descriptions: Sequence[str]) -> bool:
        """Unsaved work from a previous session was found: restore it?"""
        buttons = QtWidgets.QMessageBox.StandardButton
        text = ("lrpstudio was closed with unsaved edits:\n\n" + "\n".join(descriptions) +
                "\n\nRestore them? (No discards them.)")
        answer = QtWidgets.QMessageBox.question(self.parent, "Restore unsaved edits", text,
                                                buttons.Yes | buttons.No, buttons.Yes)
        return answer == buttons.Yes

    def tell(self, title: str, text: str) -> None:
        """Show ``text`` (a path the user may copy: it is selectable) until it is closed."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Information, title, text,
                                    QtWidgets.QMessageBox.StandardButton.Ok, self.parent)
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()


class ScriptedPrompter(Prompter):
    """Answers from a script, in order (for tests and unattended runs).

    Parameters
    ----------
    save
        Answers to :meth:`ask_save`; when exhausted, ``default_save``.
    restore
        Answers to :meth:`ask_restore`; when exhausted, ``default_restore``.
    """

    def __init__(self, save: Sequence[SaveAnswer] = (), restore: Sequence[bool] = (),
                 default_save: SaveAnswer = "discard", default_restore: bool = False) -> None:
        super().__init__(None)
        self.save_answers = deque(save)
        self.restore_answers = deque(restore)
        self.default_save = default_save
        self.default_restore = default_restore
        self.asked: list[str] = []
        self.told: list[str] = []

    def ask_save(self, case_id: str) -> SaveAnswer:  # noqa: D102 - as Prompter's
        self.asked.append(f"save:{case_id}")
        return self.save_answers.popleft() if self.save_answers else self.default_save

    def ask_restore(self, descriptions: Sequence[str]) -> bool:  # noqa: D102 - as Prompter's
        self.asked.append("restore")
        return self.restore_answers.popleft() if self.restore_answers else self.default_restore

    def tell(self, title: str, text: str) -> None:  # noqa: D102 - as Prompter's
        self.asked.append(f"tell:{title}")
        self.told.append(text)
