"""Kill a child process in the middle of editing (SIGKILL) and restore its committed strokes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from lrpstudio.core.editing import EditSession, find_recoverable, recover

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from lrpstudio.core.editing import BrushSettings, EditSession, SessionOptions

    workspace, expected_file, strokes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    base = np.zeros((40, 36, 20), np.uint8)
    base[10:30, 10:25, 5:15] = 2
    rng = np.random.default_rng(0)
    # A long flush interval: the stroke in progress at the kill stays unjournaled,
    # so the journal holds exactly the committed strokes.
    session = EditSession(base, workspace=workspace, case_id="Brats_kill",
                          options=SessionOptions(flush_interval_s=3600.0))
    for i in range(strokes):
        session.set_active_label(int(rng.integers(1, 4)))
        session.set_brush(BrushSettings(radius=float(rng.integers(1, 4))))
        session.begin_stroke(erase=i % 4 == 3)
        for _ in range(5):
            session.stroke_to([int(rng.integers(0, n)) for n in base.shape])
        session.end_stroke()
        if i == 2:
            session.undo()
    np.save(expected_file, session.seg)
    session.begin_stroke()
    print("ready", flush=True)
    while True:  # mid-stroke until killed
        session.stroke_to([int(rng.integers(0, n)) for n in base.shape])
""")


def test_sigkill_mid_edit_restores_committed_strokes(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    expected_file = tmp_path / "expected.npy"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(workspace), str(expected_file), "12"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip() == "ready", child.stderr.read() if child.stderr else ""
        child.kill()  # SIGKILL on POSIX: no cleanup, no flush, no atexit
    finally:
        child.wait(timeout=60)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert child.returncode == (-signal.SIGKILL if os.name == "posix" else 1)
    expected = np.load(expected_file)
    base = np.zeros((40, 36, 20), np.uint8)
    base[10:30, 10:25, 5:15] = 2

    found = find_recoverable(workspace)
    assert [(info.case_id, info.steps) for info in found] == [("Brats_kill", 11)]  # 12 strokes, 1 undone
    np.testing.assert_array_equal(recover(found[0].path, base), expected)

    session = EditSession(base, workspace=workspace, case_id="Brats_kill")
    assert session.restore(found[0].path) == 11  # 12 strokes, one undone
    np.testing.assert_array_equal(session.seg, expected)
    assert session.dirty
    session.redo()  # the undone stroke survives the crash as a redo
    session.save(lambda seg: None)
    assert find_recoverable(workspace) == []
