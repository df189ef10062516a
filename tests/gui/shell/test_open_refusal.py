"""File > Open on a folder without cases is refused and changes nothing; File > Open demo
data opens the demo set again."""

from __future__ import annotations

from pathlib import Path

from lrpstudio.gui.shell.prompts import ScriptedPrompter


def _menu_action(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_a_folder_without_cases_is_refused_and_changes_nothing(make_window, demo_root: Path,
                                                                 tmp_path: Path) -> None:
    window = make_window(ScriptedPrompter())
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    case, title = window.case, window.windowTitle()
    recent = window.recent.items()
    empty = tmp_path / "empty"
    (empty / "notes").mkdir(parents=True)
    (empty / "readme.txt").write_text("no cases here")
    window.run_guarded(lambda: window.open_path(empty))
    message = window.reporter.last_message or ""
    assert "no BraTS cases" in message and str(empty) in message
    assert window.case is case and window.windowTitle() == title
    assert window.data is not None and window.data.root.resolve() == demo_root.resolve()
    assert sorted(p.name for p in empty.iterdir()) == ["notes", "readme.txt"]  # no workspace
    assert window.recent.items() == recent


def test_open_demo_data_from_the_file_menu(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = make_window(ScriptedPrompter())
    window.demo_folder = lambda _parent: demo_root  # the generated demo set (tiny here)
    _menu_action(window, "Open demo data").trigger()
    assert window.data is not None and window.data.root.resolve() == demo_root.resolve()
    assert window.case is not None
