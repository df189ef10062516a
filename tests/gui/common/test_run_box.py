"""The run pickers of the Explain dock and the Similar cases tab: newest run first and selected,
the user's choice kept when the list is filled again."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.gui.common.run_box import fill_run_box
from tests.app.test_run_summaries import fake_run


def explainable(root: Path, name: str) -> Path:
    """A run folder with a config.json and a best checkpoint."""
    run = fake_run(root, name)
    RunFolder(run).checkpoint("best").write_bytes(b"saved")
    return run


def test_the_newest_run_is_selected_and_a_choice_is_kept(qtbot, tmp_path: Path) -> None:
    box = QtWidgets.QComboBox()
    qtbot.addWidget(box)
    oldest = explainable(tmp_path, "20261126-091000-paper-lrp-p1")
    middle = explainable(tmp_path, "20261126-101500-paper-lrp-p1")
    newest = explainable(tmp_path, "20261126-111500-paper-lrp-p1")
    fill_run_box(box, tmp_path)
    assert [box.itemData(i) for i in range(box.count())] == [str(newest), str(middle), str(oldest)]
    assert box.currentData() == str(newest)
    box.setCurrentIndex(box.findData(str(middle)))
    later = explainable(tmp_path, "20261126-121500-paper-lrp-p1")
    fill_run_box(box, tmp_path)
    assert box.itemData(0) == str(later) and box.currentData() == str(middle)
