"""The Training tab's questions: which run to resume, and whether to stop a running one."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from lrpstudio.app.run_summaries import resume_choices

#: The last entry of the resume list: pick any run folder.
OTHER_RUN = "Another run folder…"


def ask_resume_run(parent: QtWidgets.QWidget, runs_dir: Path | None) -> Path | None:
    """Ask which run to continue: one of ``runs_dir``'s resumable runs, or any folder.

    Returns the run folder, or None when the user cancelled.
    """
    choices = resume_choices(runs_dir)
    label, ok = QtWidgets.QInputDialog.getItem(
        parent, "Resume run", "Continue this run from its last saved epoch:",
        [text for text, _run in choices] + [OTHER_RUN], 0, False) if choices else (OTHER_RUN, True)
    if not ok:
        return None
    path: Path | str | None = dict(choices).get(label)
    if path is None:
        path = QtWidgets.QFileDialog.getExistingDirectory(parent, "Resume run", str(runs_dir) if runs_dir else "")
    return Path(path) if path else None


def ask_stop_training(parent: QtWidgets.QWidget) -> bool:
    """Closing the app while a run trains: True when the user agrees to stop it."""
    buttons = QtWidgets.QMessageBox.StandardButton
    answer = QtWidgets.QMessageBox.question(
        parent, "Training is running",
        "A training run is in progress. Stop it and quit? (The last finished epoch stays "
        "saved and can be resumed.)", buttons.Yes | buttons.No, buttons.No)
    return answer == buttons.Yes
