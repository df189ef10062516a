"""In a 1366x768 window every column of the case list is in view, the Labels column
included; case ids keep their distinguishing end."""

from __future__ import annotations

from pathlib import Path


def test_every_case_column_is_in_view_at_1366x768(make_window, demo_root: Path, tmp_path: Path,
                                                   qtbot) -> None:
    window = make_window()
    window.resize(1366, 768 - 70)
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    qtbot.wait(50)
    table = window.browser.table
    header = table.horizontalHeader()
    room = table.viewport().width()
    for column in range(table.columnCount()):
        left = header.sectionViewportPosition(column)
        assert 0 <= left and left + header.sectionSize(column) <= room + 1, (column, left, room)
    labels = table.columnCount() - 1
    assert table.horizontalHeaderItem(labels).text() == "Labels"
    assert header.sectionSize(labels) >= table.sizeHintForColumn(labels) - 2
    assert table.item(0, 0).toolTip() == window.browser.rows[0].case_id
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll to


def test_a_first_launch_gives_the_case_list_its_default_width(make_window, qtbot) -> None:
    from lrpstudio.gui.shell.session import DEFAULT_DOCK_WIDTHS, default_dock_widths

    window = make_window()
    window.resize(1366, 768 - 70)
    qtbot.wait(20)
    default_dock_widths(window)
    qtbot.wait(20)
    assert abs(window.docks["cases"].width() - DEFAULT_DOCK_WIDTHS["cases"]) <= 4
