"""The queue by case: one row per case in queue order, before -> after with a baseline, the
outside change sortable, and opening a row asks for that case."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore

from lrpstudio.app.review import ReviewQueue, case_summaries
from lrpstudio.core.review.queue import SliceReview, rank_entries
from lrpstudio.gui.common.case_table import CaseTable
from tests.core.review.factory import slice_review


def _review(case: str, z: int, outside: float, score: float) -> SliceReview:
    return slice_review(case, z, outside, score=score)


def _queue(baseline: bool) -> ReviewQueue:
    now = [_review("fixed", 1, 0.1, 0.9), _review("fixed", 2, 0.2, 0.8), _review("still", 4, 0.7, 0.3)]
    before = {r.key: r for r in [_review("fixed", 1, 0.7, 0.3), _review("fixed", 2, 0.6, 0.4),
                                 _review("still", 4, 0.7, 0.3)]} if baseline else None
    return ReviewQueue(Path("run"), Path("old") if baseline else None, rank_entries(now, before))


def _column(table: CaseTable, title: str) -> list[str]:
    column = CaseTable.HEADERS.index(title)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_cases_in_queue_order_with_before_and_after(qtbot) -> None:
    opened: list[str] = []
    table = CaseTable(opened.append)
    qtbot.addWidget(table)
    table.show_cases(case_summaries(_queue(baseline=True)), baseline=True)
    assert _column(table, "Case") == ["still", "fixed"]  # "still" looks outside: first in the queue
    assert _column(table, "Slices") == ["1", "2"]
    assert _column(table, "Outside") == ["70 % → 70 %", "65 % → 15 %"]
    assert _column(table, "Score") == ["0.30 → 0.30", "0.35 → 0.85"]
    assert _column(table, "Outside change") == ["+0 %", "-50 %"]
    table.sortItems(CaseTable.HEADERS.index("Outside change"), QtCore.Qt.SortOrder.AscendingOrder)
    assert table.case_at(0) == "fixed"  # the fixed case sorts first by its change
    table.cellDoubleClicked.emit(0, 0)
    assert opened == ["fixed"]


def test_without_a_baseline_the_change_column_is_hidden(qtbot) -> None:
    table = CaseTable(lambda _case: None)
    qtbot.addWidget(table)
    table.show_cases(case_summaries(_queue(baseline=False)), baseline=False)
    assert table.isColumnHidden(CaseTable.HEADERS.index("Outside change"))
    assert _column(table, "Outside") == ["70 %", "15 %"]
    assert not math.isnan(float(_column(table, "Score")[0]))
