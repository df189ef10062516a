"""The review queue as a sortable table: one row per slice, its state and verdict beside it.

Numbers sort as numbers (the sort role holds the raw value; NaN and missing values sort
last); the shown text is rounded. With a baseline run two more columns show the score
and the outside share before → after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from PySide6 import QtCore, QtGui

from lrpstudio.app.review import QueueEntry
from lrpstudio.app.verdicts import EntryState

#: Sort role: the raw value behind a cell.
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


def _pct(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{100 * value:.0f} %"


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _where(entry: QueueEntry) -> str:
    if not entry.components:
        return ""
    c = entry.components[0]
    return f"{c.where} ({100 * c.mass_fraction:.0f} %, {c.voxels} vx)"


@dataclass(frozen=True)
class Column:
    """One column: header, shown text, sort value."""

    title: str
    text: Callable[[QueueEntry, EntryState], str]
    value: Callable[[QueueEntry, EntryState], Any]
    tip: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("#", lambda e, s: str(e.rank), lambda e, s: e.rank, "Rank by priority (1 = look first)"),
    Column("Case", lambda e, s: e.case_id, lambda e, s: e.case_id),
    Column("z", lambda e, s: str(e.z), lambda e, s: e.z, "Axial slice index"),
    Column("Truth", lambda e, s: e.label, lambda e, s: e.label),
    Column("Pred.", lambda e, s: e.prediction, lambda e, s: e.prediction, "The model's prediction"),
    Column("Conf.", lambda e, s: _num(e.confidence), lambda e, s: e.confidence, "Confidence of the prediction"),
    Column("OK", lambda e, s: "✓" if e.correct else "✗", lambda e, s: int(e.correct), "Prediction correct"),
    Column("Score", lambda e, s: _num(e.score), lambda e, s: e.score,
           "TumorLRPScore: share of the positive relevance inside the tumour mask"),
    Column("Outside", lambda e, s: _pct(e.outside_fraction), lambda e, s: e.outside_fraction,
           "Share of the positive relevance outside the tumour mask"),
    Column("Where", lambda e, s: _where(e), lambda e, s: e.components[0].mass_fraction if e.components else 0.0,
           "The largest outside component: where it lies, its share, its size on the volume"),
    Column("State", lambda e, s: s.state, lambda e, s: s.state),
    Column("Verdict", lambda e, s: s.verdict or "", lambda e, s: s.verdict or ""),
)
BASELINE_COLUMNS: tuple[Column, ...] = (
    Column("Score before → after", lambda e, s: f"{_num(e.score_before)} → {_num(e.score)}",
           lambda e, s: _delta(e.score, e.score_before), "TumorLRPScore with the baseline run, then this run"),
    Column("Outside before → after",
           lambda e, s: f"{_pct(e.outside_before) or 'n/a'} → {_pct(e.outside_fraction)}",
           lambda e, s: _delta(e.outside_fraction, e.outside_before),
           "Relevance outside the mask with the baseline run, then this run"),
)


def _delta(after: float, before: float | None) -> float:
    return math.nan if before is None else after - before


class QueueTableModel(QtCore.QAbstractTableModel):
    """Entries of a queue with their states."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[QueueEntry] = []
        self.states: dict[str, EntryState] = {}
        self.columns: tuple[Column, ...] = COLUMNS

    def set_queue(self, entries: list[QueueEntry], states: Mapping[str, EntryState], baseline: bool) -> None:
        """Show ``entries`` (rank order) with their ``states``; before/after columns with a baseline."""
        self.beginResetModel()
        self.entries, self.states = list(entries), dict(states)
        self.columns = COLUMNS + (BASELINE_COLUMNS if baseline else ())
        self.endResetModel()

    def state(self, row: int) -> EntryState:
        """The state of entry ``row`` (open when never set)."""
        return self.states.get(self.entries[row].key, EntryState("open", None, ""))

    def set_state(self, key: str, state: EntryState) -> None:
        """Update one entry's state cells."""
        self.states[key] = state
        for row, entry in enumerate(self.entries):
            if entry.key == key:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def rowCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = QtCore.QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = QtCore.QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
             role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry, column = self.entries[index.row()], self.columns[index.column()]
        state = self.state(index.row())
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return column.text(entry, state)
        if role == SORT_ROLE:
            value = column.value(entry, state)
            return math.inf if isinstance(value, float) and not math.isfinite(value) else value
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and state.state != "open":
            return QtGui.QBrush(QtGui.QColor("gray"))
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and column.title == "Where" and entry.components:
            return "\n".join(f"{c.index + 1}. {c.where}: {100 * c.mass_fraction:.0f} % of the positive relevance, "
                             f"{c.voxels} voxels" for c in entry.components)
        return None

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal or section >= len(self.columns):
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None
