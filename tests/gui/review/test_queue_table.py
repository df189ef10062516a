"""The queue table: numbers sort as numbers (n/a last), states grey out reviewed rows, and a
baseline adds the before -> after columns."""

from __future__ import annotations

import math

from PySide6 import QtCore

from lrpstudio.app.review import OutsideComponent, QueueEntry
from lrpstudio.app.verdicts import EntryState
from lrpstudio.gui.review.queue_table import SORT_ROLE, QueueTableModel


def _entry(rank: int, score: float, outside: float, before: float | None = None) -> QueueEntry:
    blob = OutsideComponent(index=0, where="brain edge", mass_fraction=0.3, pixels=12, voxels=40,
                            centroid_ij=(10.0, 12.0))
    return QueueEntry(rank=rank, key=f"c{rank}:7", case_id=f"c{rank}", split="val", z=7, label="HGG",
                      prediction="HGG", probability_hgg=0.9, confidence=0.9, correct=True, score=score,
                      outside_fraction=outside, edge_fraction=0.2, background_fraction=0.1,
                      components=(blob,), priority=1.0 / rank, score_before=before,
                      outside_before=None if before is None else 0.8)


def test_sorting_states_and_baseline_columns(qtbot) -> None:
    model = QueueTableModel()
    entries = [_entry(1, 0.2, 0.8, 0.1), _entry(2, math.nan, 0.5, 0.3), _entry(3, 0.9, 0.1, 0.4)]
    model.set_queue(entries, {"c3:7": EntryState("done", "fine", "now")}, baseline=True)
    titles = [model.headerData(c, QtCore.Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles[-2:] == ["Score before → after", "Outside before → after"]
    score = titles.index("Score")
    proxy = QtCore.QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(score, QtCore.Qt.SortOrder.AscendingOrder)
    order = [proxy.index(r, 1).data() for r in range(3)]
    assert order == ["c1", "c3", "c2"]  # n/a last
    assert model.index(0, len(titles) - 2).data() == "0.10 → 0.20"
    assert model.index(0, len(titles) - 1).data() == "80 % → 80 %"
    assert model.index(0, titles.index("Where")).data() == "brain edge (30 %, 40 vx)"
    assert model.index(2, titles.index("Verdict")).data() == "fine"
    assert model.index(2, 0).data(QtCore.Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(QtCore.Qt.ItemDataRole.ForegroundRole) is None
    model.set_state("c1:7", EntryState("skipped", None, "now"))
    assert model.index(0, titles.index("State")).data() == "skipped"
    model.set_queue(entries, {}, baseline=False)
    assert model.columnCount() == len(titles) - 2
