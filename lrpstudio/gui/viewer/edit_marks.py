"""The case list's marks follow the unsaved state of the open mask, both ways.

The first edit of a case marks it edited (✎) and, when its review had not started,
sets it "in progress". Undoing every edit (or discarding them) takes that back: the ✎
mark shows again only whether a saved correction exists, and a review status the edit
had set returns to what it was. A save makes both stick.
"""

from __future__ import annotations

from typing import Callable

from lrpstudio.app.data_source import DataSource
from lrpstudio.gui.viewer.case_browser import CaseBrowser

#: The status a first edit moves a case out of.
NOT_STARTED = "not started"


class EditMarks:
    """Keeps a case's edited mark and review status in step with its unsaved edits.

    Parameters
    ----------
    browser
        The case list.
    data
        The open data (None: none open).
    set_review
        Records ``(case_id, status)`` in the workspace and the list.
    """

    def __init__(self, browser: CaseBrowser, data: Callable[[], DataSource | None],
                 set_review: Callable[[str, str], None]) -> None:
        self.browser, self._data, self._set_review = browser, data, set_review
        #: Case id -> the review status before an edit set it "in progress".
        self.started_by_edit: dict[str, str] = {}

    def changed(self, case_id: str, dirty: bool) -> None:
        """The open case's unsaved state is now ``dirty``."""
        row = self.browser.row_of(case_id)
        if row is None:
            return
        if dirty:
            self.browser.update_row(case_id, edited=True)
            if row.review == NOT_STARTED:  # the first edit starts a review
                self.started_by_edit[case_id] = row.review
                self._set_review(case_id, "in progress")
            return
        previous = self.started_by_edit.pop(case_id, None)
        if previous is not None and row.review == "in progress":
            self._set_review(case_id, previous)
        if row.edited:
            data = self._data()
            saved = data.row(case_id) if data is not None else None
            self.browser.update_row(case_id, edited=bool(saved is not None and saved.edited))

    def saved(self, case_id: str) -> None:
        """The case is being saved: its marks stay, whatever is undone later."""
        self.started_by_edit.pop(case_id, None)
