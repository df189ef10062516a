"""Error boundary (one dialog + log file), recent list, drag and drop, background worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.errors import InputError
from lrpstudio.core.paths import user_log_dir
from lrpstudio.gui.shell.application import setup_logging
from lrpstudio.gui.shell.demo_data import run_in_background
from lrpstudio.gui.shell.settings import RecentList


def test_errors_become_one_dialog_and_a_log_entry(make_window, qtbot, tmp_path: Path) -> None:
    log_file = setup_logging()
    window = make_window()

    def bad() -> None:
        raise InputError("cannot read this volume", tmp_path / "x.nii.gz", expected="NIfTI", actual="text")

    window.run_guarded(bad)
    dialogs = [w for w in QtWidgets.QApplication.topLevelWidgets()
               if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
    assert len(dialogs) == 1
    assert "x.nii.gz: cannot read this volume (expected NIfTI, got text)" in dialogs[0].text()
    window.run_guarded(lambda: 1 / 0)  # a second error while the dialog is open: no second dialog
    dialogs = [w for w in QtWidgets.QApplication.topLevelWidgets()
               if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
    assert len(dialogs) == 1
    assert "ZeroDivisionError" in window.statusBar().currentMessage()
    for handler in __import__("logging").getLogger("lrpstudio").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert log_file.parent == user_log_dir()
    assert "cannot read this volume" in text and "ZeroDivisionError" in text and "Traceback" in text
    dialogs[0].close()


def test_recent_list_keeps_newest_first(tmp_path: Path) -> None:
    recent = RecentList(tmp_path / "gui.json", limit=3)
    folders = [tmp_path / f"d{i}" for i in range(5)]
    for folder in folders:
        folder.mkdir()
        recent.add(folder)
    recent.add(folders[2])
    assert recent.items() == [folders[2].resolve(), folders[4].resolve(), folders[3].resolve()]
    (tmp_path / "gui.json").write_text("{not json")
    assert RecentList(tmp_path / "gui.json").items() == []


def test_opening_adds_to_recent_menu_and_drop_opens(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = make_window()
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(demo_root))])
    drop = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                            QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert window.data is not None and window.data.root == demo_root
    assert window.case is not None
    window.recent_menu.fill()
    assert str(demo_root.resolve()) in [a.text() for a in window.recent_menu.actions()]


def test_background_job_reports_progress_and_errors(qtbot) -> None:
    def job(progress, cancel):
        for i in range(3):
            progress(i + 1, 3, f"case {i}")
        return "done"

    assert run_in_background(None, "working", job) == "done"

    def failing(progress, cancel):
        raise InputError("broken demo folder", "/nowhere")

    with pytest.raises(InputError, match="broken demo folder"):
        run_in_background(None, "working", failing)


def test_demo_data_keeps_its_workspace_outside_the_demo_folder(make_window, demo_root: Path) -> None:
    from lrpstudio.core.data.demo import is_demo_set
    from lrpstudio.core.paths import user_data_dir

    assert is_demo_set(demo_root)
    window = make_window()
    window.open_path(demo_root)
    assert not (demo_root / ".lrpstudio").exists()
    assert user_data_dir() in window.data.workspace.root.parents
    window.set_review("done")
    assert is_demo_set(demo_root)
    assert not any(p.name.startswith(".") for p in demo_root.iterdir())


def test_launch_reopens_the_last_folder_with_its_workspace(make_window, demo_root: Path, tmp_path: Path) -> None:
    from lrpstudio.gui.shell.launch import start_folder

    window = make_window()
    assert start_folder(window, tmp_path) == tmp_path
    window.open_path(demo_root, tmp_path / "ws")
    target = start_folder(window, None)
    assert target == (tmp_path / "ws").resolve(), "an explicit workspace is what is remembered"
    again = make_window()
    again.recent = window.recent
    again.open_path(start_folder(again, None))
    assert again.data.root.resolve() == demo_root.resolve()
    assert again.data.workspace.root.resolve() == (tmp_path / "ws").resolve()


def test_cases_load_in_the_background_and_stale_loads_are_dropped(make_window, demo_root: Path,
                                                                  tmp_path: Path, qtbot) -> None:
    window = make_window()
    window.loader.background = True
    window.open_path(demo_root, tmp_path / "ws")
    first = window.browser.rows[0].case_id
    qtbot.waitUntil(lambda: window.case is not None, timeout=20000)
    assert window.case.id == first
    second, third = window.browser.rows[1].case_id, window.browser.rows[2].case_id
    window.browser.select(second)
    window.browser.select(third)  # asked before the second arrived: the second is stale
    assert "Loading" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.case.id == third and not window.loader.busy, timeout=20000)
    qtbot.wait(50)
    assert window.case.id == third
    assert window.browser.current().case_id == third
    assert window.controller.session.case_id == third


def test_an_os_failure_is_one_line_naming_the_path_and_what_to_do(tmp_path: Path) -> None:
    import errno

    from lrpstudio.gui.shell.application import user_message

    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ws" / "review.json"))
    text = user_message(full)
    assert text == (f"{tmp_path / 'ws' / 'review.json'}: cannot read or write: no space left on the "
                    "device; free some space or choose another folder")
    denied = user_message(PermissionError(errno.EACCES, "Permission denied", str(tmp_path)))
    assert "\n" not in denied and "permission denied" in denied and "Internal error" not in denied


def test_open_log_folder_shows_the_path_when_no_file_manager_opens(make_window, monkeypatch) -> None:
    from lrpstudio.gui.shell.prompts import ScriptedPrompter

    prompter = ScriptedPrompter()
    window = make_window(prompter)
    opened: list[QtCore.QUrl] = []

    def no_launcher(url: QtCore.QUrl) -> bool:  # the OS boundary: no desktop launcher here
        opened.append(url)
        return False

    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", no_launcher)
    action = next(a for m in window.menuBar().findChildren(QtWidgets.QMenu) for a in m.actions()
                  if a.text() == "Open log folder")
    action.trigger()
    assert [url.toLocalFile() for url in opened] == [str(user_log_dir())]
    assert prompter.asked == ["tell:Log folder"] and str(user_log_dir()) in prompter.told[0]
