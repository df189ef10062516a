"""Kill a child process in the middle of editing; the next launch restores from its journal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from lrpstudio.gui.shell.prompts import ScriptedPrompter

REPO = Path(__file__).resolve().parents[3]

_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from pathlib import Path
    from PySide6 import QtCore, QtWidgets
    from lrpstudio.gui.shell.application import create_application
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList
    from tests.gui.conftest import send_mouse

    data, ws, out = (Path(a) for a in sys.argv[1:4])
    app = create_application()
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(out.with_suffix(".json")))
    window.resize(1200, 800)
    window.show()
    app.processEvents()
    window.open_path(data, ws)
    np.save(out.with_name("original.npy"), np.asarray(window.state.seg))
    window.action_map["tool.brush"].trigger()
    window.action_map["label.2"].trigger()
    window.panel.radius.setValue(2)
    view = window.views.views["axial"]
    c = window.state.cursor
    T = QtCore.QEvent.Type
    vp = view.viewport()
    # Stroke 1: press, drag, release (one committed undo step).
    send_mouse(vp, T.MouseButtonPress, view.widget_pos_of((c[0] - 6, c[1] - 6, c[2])))
    send_mouse(vp, T.MouseMove, view.widget_pos_of((c[0] + 6, c[1] - 6, c[2])))
    send_mouse(vp, T.MouseButtonRelease, view.widget_pos_of((c[0] + 6, c[1] - 6, c[2])))
    # Stroke 2: still held down when the process dies.
    window.action_map["tool.eraser"].trigger()
    send_mouse(vp, T.MouseButtonPress, view.widget_pos_of((c[0], c[1] + 3, c[2])))
    send_mouse(vp, T.MouseMove, view.widget_pos_of((c[0], c[1] + 6, c[2])))
    deadline = time.monotonic() + 1.2  # the journal's safety flush runs in the event loop
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    np.save(out, np.asarray(window.state.seg))
    print("READY", flush=True)
    time.sleep(120)
""")


def _edit_and_get_killed(demo_root: Path, ws: Path, tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    out = tmp_path / "expected.npy"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(demo_root), str(ws), str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                             env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "READY", child.stderr.read()[-3000:]
        child.send_signal(signal.SIGKILL)  # no clean-up, no atexit: a crash
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    return np.load(tmp_path / "original.npy"), np.load(out)


def test_killed_session_is_restored_on_next_launch(make_window, demo_root: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    original, expected = _edit_and_get_killed(demo_root, ws, tmp_path)
    assert (expected != original).sum() > 0
    assert list((ws / "recovery").glob("*.journal")), "the journal survived the kill"

    prompter = ScriptedPrompter(restore=[True])
    window = make_window(prompter)
    window.open_path(demo_root, ws)
    assert prompter.asked == ["restore"]
    np.testing.assert_array_equal(window.state.seg, expected)
    assert window.controller.dirty
    assert "restored" in window.statusBar().currentMessage()
    # Both strokes came back as undo steps (the interrupted one as its own step).
    window.action_map["edit.undo"].trigger()
    window.action_map["edit.undo"].trigger()
    np.testing.assert_array_equal(window.state.seg, original)
    window.action_map["edit.redo"].trigger()
    window.action_map["edit.redo"].trigger()
    window.action_map["file.save"].trigger()
    window.saver.wait()  # Ctrl+S saves on a worker thread
    assert not list((ws / "recovery").glob("*.journal")), "saving clears the journal"


def test_declining_restore_discards_the_journal(make_window, demo_root: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    original, _ = _edit_and_get_killed(demo_root, ws, tmp_path)
    window = make_window(ScriptedPrompter(restore=[False]))
    window.open_path(demo_root, ws)
    np.testing.assert_array_equal(window.state.seg, original)
    assert not list((ws / "recovery").glob("*.journal"))


def test_unsaved_edits_of_two_cases_are_both_restored(make_window, demo_root: Path, tmp_path: Path) -> None:
    from tests.gui.conftest import drag

    ws = tmp_path / "ws"
    window = make_window()
    window.open_path(demo_root, ws)
    edited: dict[str, np.ndarray] = {}
    for row in window.browser.rows[:2]:
        window.controller.detach()  # like a crash: the journal stays, nothing is asked
        window.case = None
        window.open_case(row)
        window.action_map["tool.brush"].trigger()
        view = window.views.views["axial"]
        drag(view, [view.widget_pos_of(window.state.cursor)])
        edited[row.case_id] = window.state.seg.copy()
    window.controller.detach()
    window.case = None
    assert len(list((ws / "recovery").glob("*.journal"))) == 2

    again = make_window(ScriptedPrompter(restore=[True], save=["save"]))
    again.open_path(demo_root, ws)
    first, second = list(edited)
    assert again.case.id in edited
    np.testing.assert_array_equal(again.state.seg, edited[again.case.id])
    other = second if again.case.id == first else first
    again.browser.select(other)
    assert again.case.id == other
    np.testing.assert_array_equal(again.state.seg, edited[other])
    restored_first = first if other == second else second
    assert (ws / "corrections" / restored_first / f"{restored_first}_seg.nii.gz").is_file()
