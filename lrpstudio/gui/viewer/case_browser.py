"""The case browser: every discovered case, with grade, labels, review status and problems.

Cases with problems are listed, never hidden: the problem column says what
``lrpstudio inspect`` found, and a case that cannot be opened is drawn in red.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.data_source import CaseRow

#: Review states kept in the workspace, in the order the menu offers them.
REVIEW_STATES: tuple[str, ...] = ("not started", "in progress", "done", "flagged")
#: Short headers so that the Labels column is in view in a narrow dock (1366 x 768 screens); the
#: header tooltips say them in full (✎ edited, ⚠ problems).
COLUMNS: tuple[str, ...] = ("Case", "Grade", "Review", "✎", "⚠", "Labels")
_STATUS_COLOURS = {"in progress": "#E69F00", "done": "#009E73", "flagged": "#D55E00"}
#: How narrow the Case and Review columns may get so that every column stays in view.
SHRINK_FLOORS_PX: tuple[tuple[int, int], ...] = ((0, 72), (2, 64))


class MiddleElide(QtWidgets.QStyledItemDelegate):
    """Elides in the middle: case ids share their start (BraTS20_Training_…) and differ at the end."""

    def initStyleOption(self, option: QtWidgets.QStyleOptionViewItem,  # noqa: N802 - Qt API
                        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = QtCore.Qt.TextElideMode.ElideMiddle


class CaseBrowser(QtWidgets.QWidget):
    """A table of cases; selecting a row asks the window to open it.

    Signals
    -------
    case_activated(object)
        The :class:`CaseRow` the user selected.
    status_requested(str, str)
        (case id, review state) chosen from the context menu.
    """

    case_activated = QtCore.Signal(object)
    status_requested = QtCore.Signal(str, str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[CaseRow] = []
        self.filter = QtWidgets.QLineEdit(self)
        self.filter.setPlaceholderText("Filter cases…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # fit_columns gives the last column the room left (Qt's stretched last section never
        # went below 100 px, which pushed it out of view in a narrow dock).
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setItemDelegateForColumn(0, MiddleElide(self.table))
        self.table.viewport().installEventFilter(self)
        self.table.setAlternatingRowColors(True)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.itemSelectionChanged.connect(self._on_selection)
        header_tips = ("Case id (folder name)", "Glioma grade from the data set", "Review status "
                       "(right-click to change)", "Edited: a corrected mask exists",
                       "Problems found by inspect", "Label convention: the BraTS releases whose label values "
                       "the case uses")
        for c, tip in enumerate(header_tips):
            item = self.table.horizontalHeaderItem(c)
            if item is not None:
                item.setToolTip(tip)
        self.summary = QtWidgets.QLabel("", self)
        self.details = QtWidgets.QLabel("", self)
        self.details.setWordWrap(True)
        self.details.setObjectName("case_details")
        self.details.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(self.details)
        layout.addWidget(self.summary)
        self._silent = False

    def set_rows(self, rows: Sequence[CaseRow]) -> None:
        """Replace the listed cases."""
        self._silent = True
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            self._fill(r, row)
        self.fit_columns()
        self._silent = False
        bad = sum(1 for row in self.rows if row.problems)
        self.summary.setText(f"{len(self.rows)} cases, {bad} with problems")
        self._apply_filter(self.filter.text())

    def fit_columns(self) -> None:
        """Every column in view in a narrow dock: the Case column, then the Review column,
        give up width first (ids elided in the middle; the full id is in the tooltip)."""
        table = self.table
        table.resizeColumnsToContents()
        widths = [table.columnWidth(c) for c in range(table.columnCount())]
        last = table.horizontalHeader()
        labels = max(last.sectionSizeHint(len(COLUMNS) - 1), table.sizeHintForColumn(len(COLUMNS) - 1))
        room = table.viewport().width()
        excess = sum(widths[:-1]) + labels - room
        for column, floor in SHRINK_FLOORS_PX:
            cut = min(max(excess, 0), widths[column] - floor)
            if cut > 0:
                widths[column] -= cut
                table.setColumnWidth(column, widths[column])
                excess -= cut
        table.setColumnWidth(len(COLUMNS) - 1, max(labels, room - sum(widths[:-1])))

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.table.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self.fit_columns()  # the room the columns share changed (the dock was resized)
        return super().eventFilter(watched, event)

    def _fill(self, r: int, row: CaseRow) -> None:
        problems = "; ".join(row.problems)
        # The releases' years name the convention ("2017-2021" for brats2017-2021): the
        # column stays narrow enough to be in view beside the others in a 1366 px window.
        labels = row.label_convention.removeprefix("brats") or row.label_convention
        values = (row.case_id, row.grade or "?", row.review, "✎" if row.edited else "",
                  problems, labels)
        for c, value in enumerate(values):
            item = QtWidgets.QTableWidgetItem(value)
            if c == 0:
                item.setData(QtCore.Qt.ItemDataRole.UserRole, row.case_id)
                if row.problems:
                    kind = (QtWidgets.QStyle.StandardPixmap.SP_MessageBoxCritical if not row.openable
                            else QtWidgets.QStyle.StandardPixmap.SP_MessageBoxWarning)
                    item.setIcon(self.style().standardIcon(kind))
            if problems:
                item.setToolTip(problems)
            elif c == 0:
                item.setToolTip(row.case_id)  # elided in a narrow dock
            elif c == len(COLUMNS) - 1:
                item.setToolTip(f"label convention {row.label_convention}")
            if not row.openable:
                item.setForeground(QtGui.QBrush(QtGui.QColor("#D55E00")))
            elif c == 2 and row.review in _STATUS_COLOURS:
                item.setForeground(QtGui.QBrush(QtGui.QColor(_STATUS_COLOURS[row.review])))
            self.table.setItem(r, c, item)

    def update_row(self, case_id: str, **changes: Any) -> None:
        """Change one row's fields (``review``, ``edited``) in place."""
        for r, row in enumerate(self.rows):
            if row.case_id == case_id:
                self.rows[r] = replace(row, **changes)
                self._silent = True
                self._fill(r, self.rows[r])
                self._silent = False

    def row_of(self, case_id: str) -> CaseRow | None:
        """The row of a case id."""
        return next((row for row in self.rows if row.case_id == case_id), None)

    def select(self, case_id: str, emit: bool = True) -> None:
        """Select a case's row (and open it when ``emit``)."""
        for r, row in enumerate(self.rows):
            if row.case_id == case_id:
                self._silent = not emit
                self.table.selectRow(r)
                self._silent = False
                return

    def current(self) -> CaseRow | None:
        """The selected row."""
        indexes = self.table.selectionModel().selectedRows()
        return self.rows[indexes[0].row()] if indexes else None

    def step(self, delta: int) -> None:
        """Select the next (``+1``) or previous (``-1``) visible case."""
        current = self.current()
        start = self.rows.index(current) if current in self.rows else -1
        r = start + delta
        while 0 <= r < len(self.rows):
            if not self.table.isRowHidden(r):
                self.table.selectRow(r)
                return
            r += delta

    def _on_selection(self) -> None:
        row = self.current()
        self._show_details(row)
        if row is not None and not self._silent:
            self.case_activated.emit(row)

    def _show_details(self, row: CaseRow | None) -> None:
        """Problems of the selected case, in full, under the table."""
        if row is None or not row.problems:
            self.details.setText("")
            return
        head = "cannot be opened" if not row.openable else "can be reviewed"
        items = "".join(f"<li>{p}</li>" for p in row.problems)
        colour = "#D55E00" if not row.openable else "#B07800"
        self.details.setText(f"<b style='color:{colour}'>{row.case_id} {head}:</b><ul "
                             f"style='margin:0'>{items}</ul>")

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for r, row in enumerate(self.rows):
            hay = f"{row.case_id} {row.grade} {row.review} {' '.join(row.problems)}".lower()
            self.table.setRowHidden(r, bool(needle) and needle not in hay)

    def _context_menu(self, pos: QtCore.QPoint) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        row = self.rows[item.row()]
        menu = QtWidgets.QMenu(self)
        for state in REVIEW_STATES:
            action = menu.addAction(f"Mark {state}")
            action.triggered.connect(
                lambda _checked=False, s=state: self.status_requested.emit(row.case_id, s))
        menu.popup(self.table.viewport().mapToGlobal(pos))
