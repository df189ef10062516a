"""The review queue by case: each case's mean score and outside share, before and after.

After fixing masks and retraining, the queue built with the earlier run as its baseline
shows here, case by case, what moved: the mean TumorLRPScore and share of relevance
outside the mask of the case's slices with the baseline run, then with this one. Cases
are listed in queue order (by their highest-ranked slice); every column sorts, the
change in the outside share included, so the cases a retrain fixed are one click away.
"""

from __future__ import annotations

import math
from typing import Callable

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.review import CaseSummary


def _num(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100 * value:.0f} %"


class _Item(QtWidgets.QTableWidgetItem):
    """Sorts by the value in UserRole."""

    def __lt__(self, other: QtWidgets.QTableWidgetItem) -> bool:
        mine = self.data(QtCore.Qt.ItemDataRole.UserRole)
        theirs = other.data(QtCore.Qt.ItemDataRole.UserRole)
        try:
            return bool(mine < theirs)
        except TypeError:
            return str(mine) < str(theirs)


def _cell(text: str, value: float | int | str) -> QtWidgets.QTableWidgetItem:
    item = _Item(text)
    item.setData(QtCore.Qt.ItemDataRole.UserRole, math.inf if isinstance(value, float)
                 and not math.isfinite(value) else value)
    return item


class CaseTable(QtWidgets.QTableWidget):
    """One row per case of the queue; a double click (or Enter) asks for its first entry.

    Parameters
    ----------
    open_case
        Called with a case id when the user opens a row.
    """

    HEADERS = ("Case", "Truth", "Slices", "First rank", "Score", "Outside", "Outside change")

    def __init__(self, open_case: Callable[[str], None], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.horizontalHeader().setStretchLastSection(True)
        tips = {4: "Mean TumorLRPScore of the case's slices (baseline run → this run)",
                5: "Mean share of relevance outside the mask (baseline run → this run)",
                6: "This run's outside share minus the baseline's (negative: the relevance moved "
                   "into the mask)"}
        for column, tip in tips.items():
            header = self.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(tip)
        self.cellActivated.connect(lambda row, _col: self._open(row))
        self.cellDoubleClicked.connect(lambda row, _col: self._open(row))
        self._open_case = open_case

    def show_cases(self, cases: list[CaseSummary], baseline: bool) -> None:
        """Fill the table with ``cases`` (queue order); before → after when ``baseline``."""
        self.setSortingEnabled(False)
        self.setRowCount(len(cases))
        for row, case in enumerate(cases):
            change = (case.outside - case.outside_before if case.outside_before is not None
                      else math.nan)
            score = (f"{_num(case.score_before)} → {_num(case.score)}" if baseline else _num(case.score))
            outside = (f"{_pct(case.outside_before)} → {_pct(case.outside)}" if baseline
                       else _pct(case.outside))
            cells = (_cell(case.case_id, case.case_id), _cell(case.label, case.label),
                     _cell(str(case.slices), case.slices), _cell(str(case.best_rank), case.best_rank),
                     _cell(score, case.score), _cell(outside, case.outside),
                     _cell(f"{100 * change:+.0f} %" if math.isfinite(change) else "", change))
            for column, item in enumerate(cells):
                self.setItem(row, column, item)
        self.setColumnHidden(6, not baseline)
        self.setSortingEnabled(True)
        self.sortItems(3, QtCore.Qt.SortOrder.AscendingOrder)
        self.resizeColumnsToContents()

    def case_at(self, row: int) -> str | None:
        """The case id shown in ``row`` (after any sorting)."""
        item = self.item(row, 0)
        return item.text() if item is not None else None

    def _open(self, row: int) -> None:
        case = self.case_at(row)
        if case is not None:
            self._open_case(case)
