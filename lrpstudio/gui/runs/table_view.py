"""The Runs tab's table: one row per run, or per group of seeds (mean ± sd), sortable.

A row stands for one or more run folders: its cells carry the first run's folder (what
a double-click opens) and the list of all of them (what a selection means). Runs of one
configuration over several seeds (:mod:`lrpstudio.app.run_groups`) share a row while
:attr:`RunsTable.grouped` is on; turned off, every run has its own row again.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.run_groups import group_row, group_rows
from lrpstudio.app.run_summaries import COLUMNS, METRICS, cell, collapse_mark, short_labels

#: The longest cells are capped (and elided, full text in the tooltip) so the numbers stay in view.
CAPPED_PX = {"run": 140, "summary": 110, "collapse": 110}
#: Table headers shorter than the export's (which keep COLUMNS' names).
HEADERS = {"f1_weighted": "F1\nweighted", "score_lgg": "Score\nLGG", "score_hgg": "Score\nHGG",
           "corrections": "Corrected\nmasks", "balanced_accuracy": "Balanced\naccuracy",
           "sensitivity": "Sensi-\ntivity", "specificity": "Speci-\nficity"}
#: Header tooltips beyond the column's name.
TIPS = {
    "split": "val: the best epoch's validation numbers; test: Evaluate on the test split",
    "run": "The run folder; double-click a row to see its Fig. 7 heatmaps. A row '… ×N' is N runs "
           "of one configuration with different seeds (mean ± sd; untick 'Group seeds' to see each)",
    "collapse": "A model that predicts one grade for at least 95 % of the slices has learnt "
                "nothing about the grade, whatever its other numbers say",
    "balanced_accuracy": "Balanced accuracy (mean of sensitivity and specificity), on the split "
                         "named in the Split column; 0.5 is chance, also for a one-grade model",
}
#: Room for the sort arrow, given only to the sorted column (Qt reserves it in every one).
ARROW_PX = 18
#: Item data role holding the list of run folders a row stands for.
PATHS_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
WARNING_COLOUR = "#b35900"
_KEYS = [k for k, _ in COLUMNS]


class NumericItem(QtWidgets.QTableWidgetItem):
    """A table cell that sorts by its number (NaN last), not by its text."""

    def __init__(self, value: Any, key: str = "", text: str | None = None) -> None:
        super().__init__(cell(value, key) if text is None else text)
        self.value = value

    def __lt__(self, other: QtWidgets.QTableWidgetItem) -> bool:  # noqa: D105 - sort order: see the class docstring
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            a = a if math.isfinite(a) else math.inf
            b = b if math.isfinite(b) else math.inf
            return a < b
        return str(a) < str(b)


def display_rows(rows: list[dict[str, Any]], grouped: bool) -> list[dict[str, Any]]:
    """The table's rows: each run's own, or one :func:`group_row` per group of seeds."""
    if not grouped:
        return list(rows)
    out = []
    for members in group_rows(rows):
        if len(members) == 1:
            out.append(members[0])
        else:
            out.append(group_row(members, METRICS, str(members[0].get("config_label", members[0]["run"]))))
    return out


class MiddleElide(QtWidgets.QStyledItemDelegate):
    """Elides a cell's text in the middle: run names that share a start keep their ends."""

    def initStyleOption(self, option: QtWidgets.QStyleOptionViewItem,  # noqa: N802 - Qt API
                        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = QtCore.Qt.TextElideMode.ElideMiddle


def run_texts(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The Run column's text of single runs, by folder: the short label that tells runs
    apart (model, loss, start time; :func:`short_labels`), not the folder name, whose
    shared date prefix filled the column (the folder is in the tooltip)."""
    singles = [Path(r["path"]) for r in rows if len(r.get("paths", [r["path"]])) == 1]
    return {str(p): label for p, label in zip(singles, short_labels(singles))}


def _text(row: dict[str, Any], key: str) -> str:
    """A cell's text: a group's metric as ``mean ± sd``, a collapse with a warning sign."""
    value = row.get(key)
    if key in METRICS and f"{key}_sd" in row:
        # Two decimals (seeds differ in the second anyway; three are in the tooltip) and
        # thin spaces: seven such columns must still fit a 1366 px screen.
        return f"{_two(value)}\u2009±\u2009{_two(row[f'{key}_sd'])}"
    if key == "collapse" and value:
        return f"⚠ {collapse_mark(row)}"
    return cell(value, key)


def _two(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) and math.isfinite(value) else "n/a"


def _tip(row: dict[str, Any], key: str) -> str:
    if key in METRICS and f"{key}_sd" in row:
        n = len(row.get("paths", []))
        return (f"mean {cell(row.get(key), key)}, sd {cell(row[f'{key}_sd'], key)} over {n} seeds "
                "(sample sd)")
    if key == "run":
        return "\n".join(row.get("paths", [row["path"]]))
    if key == "collapse" and row.get(key):
        return str(row.get("collapse_detail") or f"The model {row[key]}")
    return _text(row, key)


class RunsTable(QtWidgets.QTableWidget):
    """The runs, one row each or grouped over seeds; rows know their run folders."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS) + 1, parent)  # + the run's tags, last
        #: Runs of one configuration over seeds share a row.
        self.grouped = True
        self.shown: list[dict[str, Any]] = []
        # Short two-line headers so the widths follow the numbers (full names in the tooltips).
        self.setHorizontalHeaderLabels([HEADERS.get(k, h) for k, h in COLUMNS] + ["Tags"])
        for j, (key, header) in enumerate(COLUMNS):
            tip = TIPS.get(key, f"{header}, on the split named in the Split column" if key in METRICS else header)
            item = self.horizontalHeaderItem(j)
            if item is not None:
                item.setToolTip(tip)
        tags = self.horizontalHeaderItem(len(COLUMNS))
        if tags is not None:
            tags.setToolTip("The run's tags (Ctrl+T or the context menu; kept in its tags.json)")
        self.verticalHeader().hide()  # row numbers say nothing here; the width goes to numbers
        # Rows as tall as a line of text (Qt's default 30 px showed four runs at 768 px).
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        self.horizontalHeader().setStretchLastSection(True)
        # The stretched last column (Config, elided) may shrink below Qt's 100 px default.
        self.horizontalHeader().setDefaultSectionSize(60)
        self.horizontalHeader().sortIndicatorChanged.connect(lambda _c, _o: self.size_columns())
        self.setItemDelegateForColumn(_KEYS.index("run"), MiddleElide(self))

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        """Show ``rows`` (one per run), grouped over seeds when :attr:`grouped` is on."""
        self.shown = display_rows(rows, self.grouped)
        self.setSortingEnabled(False)
        self.setRowCount(len(self.shown))
        warn = QtGui.QBrush(QtGui.QColor(WARNING_COLOUR))
        names = run_texts(self.shown)
        for i, row in enumerate(self.shown):
            for j, key in enumerate(_KEYS):
                text = names.get(row["path"], _text(row, key)) if key == "run" else _text(row, key)
                item = NumericItem(row.get(key), key, text)
                item.setData(QtCore.Qt.ItemDataRole.UserRole, row["path"])
                item.setData(PATHS_ROLE, list(row.get("paths", [row["path"]])))
                item.setToolTip(_tip(row, key))
                if key == "collapse" and row.get(key):
                    item.setForeground(warn)
                self.setItem(i, j, item)
            tags = ", ".join(row.get("tags", []))
            self.setItem(i, len(_KEYS), NumericItem(tags, "tags", tags))
        # The Tags column only once a run has tags: untagged, the numbers keep its width.
        self.setColumnHidden(len(_KEYS), not any(row.get("tags") for row in self.shown))
        self.setSortingEnabled(True)
        self.size_columns()

    def size_columns(self) -> None:
        """Columns as wide as their contents, the long ones capped, the arrow's room for one."""
        header = self.horizontalHeader()
        header.setSortIndicatorShown(False)
        self.resizeColumnsToContents()
        header.setSortIndicatorShown(True)
        sorted_column = header.sortIndicatorSection()
        for j, key in enumerate(_KEYS):
            width = min(self.columnWidth(j), CAPPED_PX.get(key, 10_000))
            self.setColumnWidth(j, width + (ARROW_PX if j == sorted_column else 0))
        # The scroll bar's range is otherwise updated later, from the uncapped widths of
        # resizeColumnsToContents: a table that fits showed a scroll bar until then.
        self.updateGeometries()

    def select_runs(self, paths: Sequence[str | Path]) -> None:
        """Select the rows that hold any of these run folders."""
        wanted = {str(p) for p in paths}
        self.clearSelection()
        mode = self.selectionMode()
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.MultiSelection)
        for i in range(self.rowCount()):
            if wanted & set(self._paths(i)):
                self.selectRow(i)
        self.setSelectionMode(mode)

    def selected_entries(self) -> list[tuple[str, list[Path]]]:
        """(Run-column text, run folders) of each selected row, in table order."""
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [(self._text(r), [Path(p) for p in self._paths(r)]) for r in rows]

    def _text(self, row: int) -> str:
        item = self.item(row, 0)
        return item.text() if item is not None else ""

    def _paths(self, row: int) -> list[str]:
        """The run folders of a row (a group row has several)."""
        item = self.item(row, 0)
        return list(item.data(PATHS_ROLE) or []) if item is not None else []

    def selected_runs(self) -> list[Path]:
        """Run folders of the selected rows (every member of a group), in table order."""
        return [run for _text, runs in self.selected_entries() for run in runs]
