"""Resuming after a mask was corrected: a run resumes on the data it was trained on, and a
run whose data changed is refused with the cause named and the form left as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.gui.conftest import train_one_tiny_epoch

TIMEOUT_MS = 180_000


def test_resume_uses_the_runs_own_masks_and_names_a_new_correction(make_window, demo_root: Path,
                                                                   tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.open_path(demo_root, tmp_path / "ws")
    qtbot.waitUntil(lambda: window.case is not None, timeout=30_000)
    panel = window.tabs.training
    panel.form.use_corrections.setChecked(False)
    original_masks = train_one_tiny_epoch(window, qtbot, pinned=2, timeout_ms=TIMEOUT_MS)
    panel.form.use_corrections.setChecked(True)
    corrected_masks = train_one_tiny_epoch(window, qtbot, pinned=2, timeout_ms=TIMEOUT_MS)

    # Correct a mask in the viewer and save it.
    window.tabs.setCurrentIndex(0)
    session = window.controller.session
    session.set_active_label(3)
    z = int(np.argmax((window.state.seg > 0).sum(axis=(0, 1))))
    target = np.argwhere((window.state.seg[:, :, z] == 0) & (window.state.images["flair"][:, :, z] > 0))[0]
    session.paint((int(target[0]), int(target[1]), z))
    assert window.save()
    case_id = window.case.id

    # The run trained with corrections has other data now: refused, cause named, form kept.
    panel.form.epochs.setValue(7)
    panel.form.image_size.setValue(48)
    panel.form.use_corrections.setChecked(False)
    panel.resume_run(corrected_masks, epochs=2)
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    assert panel.ended[-1] == (str(corrected_masks), "failed")
    assert f"mask corrected since the run: {case_id}" in panel.status.text()
    assert panel.form.epochs.value() == 7 and panel.form.image_size.value() == 48
    assert not panel.form.use_corrections.isChecked()
    assert not panel.fig7.epochs and panel.curves.store.last_step == 0  # nothing of the refused run
    panel.form.use_corrections.setChecked(True)

    # The run trained on the original masks resumes on them, though the box is ticked.
    panel.resume_run(original_masks, epochs=2)
    qtbot.waitUntil(lambda: panel.worker is None, timeout=TIMEOUT_MS)
    assert panel.ended[-1] == (str(original_masks), "finished"), panel.log.toPlainText()
    assert panel.fig7.inputs is not None and len(panel.fig7.columns) == 2  # pinned slices shown
    assert sorted(panel.fig7.epochs) == [1, 2]
