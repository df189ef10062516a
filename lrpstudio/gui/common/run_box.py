"""A combo box of the runs that can explain a slice (they saved a best checkpoint)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from lrpstudio.app.run_summaries import explainable_runs


def fill_run_box(box: QtWidgets.QComboBox, runs_dir: Path | None) -> None:
    """List the runs under ``runs_dir`` that have a best checkpoint in ``box``, newest first.

    The selected run stays selected when it is still there; otherwise the newest is selected.
    """
    current = box.currentData()
    box.clear()
    for run in explainable_runs(runs_dir):
        box.addItem(run.name, str(run))
    index = box.findData(current)
    if index >= 0:
        box.setCurrentIndex(index)
