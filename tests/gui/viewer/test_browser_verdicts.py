"""The case browser's verdict after a full read: a damage only a full read sees (a gzip
CRC) is listed on the case's row once opening it failed, as ``inspect`` lists it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtWidgets

from lrpstudio.core.data.layouts import Release, case_file_name
from lrpstudio.core.errors import VolumeReadError
from lrpstudio.app.data_source import open_source
from tests.brats_factory import write_case
from tests.core.data import hostile_corpus as corpus


def test_failed_open_marks_the_row_unusable(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write_case(root, Release.BRATS2021, "BraTS2021_00001", grade="HGG")
    write_case(root, Release.BRATS2021, "BraTS2021_00002", grade="LGG")
    flair = root / "BraTS2021_00002" / case_file_name(Release.BRATS2021, "BraTS2021_00002",
                                                       "flair")
    corpus.damaged_stored(flair)  # the header and trailer read fine: only a full read fails
    source = open_source(root, tmp_path / "ws")
    row = source.row("BraTS2021_00002")
    assert row is not None and row.openable and not row.problems
    with pytest.raises(VolumeReadError, match="CRC32"):
        source.load(row)
    after = source.row("BraTS2021_00002")
    assert after is not None and not after.openable
    assert len(after.problems) == 1 and "CRC32" in after.problems[0]
    with pytest.raises(VolumeReadError):
        source.load(after)
    assert len(source.row("BraTS2021_00002").problems) == 1  # not listed twice
    assert source.load(source.row("BraTS2021_00001")).id == "BraTS2021_00001"


def test_window_shows_the_new_problem_on_the_row(make_window, tmp_path: Path, qtbot) -> None:
    root = tmp_path / "data"
    for i, grade in enumerate(("HGG", "LGG"), start=1):
        write_case(root, Release.BRATS2021, f"BraTS2021_0000{i}", grade=grade)
    corpus.damaged_stored(root / "BraTS2021_00002" / "BraTS2021_00002_t2.nii.gz")
    window = make_window()
    window.loader.background = True
    window.open_path(root, tmp_path / "ws")
    qtbot.waitUntil(lambda: window.case is not None, timeout=20000)
    assert window.browser.row_of("BraTS2021_00002").openable
    with qtbot.waitSignal(window.loader.failed, timeout=20000):
        window.browser.select("BraTS2021_00002")
    qtbot.waitUntil(lambda: not window.browser.row_of("BraTS2021_00002").openable, timeout=5000)
    row = window.browser.row_of("BraTS2021_00002")
    assert "CRC32" in row.problems[0] and "BraTS2021_00002_t2.nii.gz" in row.problems[0]
    for dialog in [w for w in QtWidgets.QApplication.topLevelWidgets()
                   if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]:
        dialog.close()


def test_the_problems_header_is_readable_in_a_1366x768_window(make_window, demo_root: Path,
                                                               tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.resize(1366, 768)
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    qtbot.wait(50)
    table = window.browser.table
    header = table.horizontalHeader()
    tips = [table.horizontalHeaderItem(c).toolTip() for c in range(table.columnCount())]
    column = tips.index("Problems found by inspect")  # a short header is said in full here
    item = table.horizontalHeaderItem(column)
    left = header.sectionViewportPosition(column)
    assert left >= 0 and left + header.sectionSize(column) <= table.viewport().width()
    assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(item.text())
