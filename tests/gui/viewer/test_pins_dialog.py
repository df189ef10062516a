"""View > Pinned slices…: the workspace's pins listed, gone to and unpinned."""

from __future__ import annotations

from pathlib import Path

from lrpstudio.gui.shell.prompts import ScriptedPrompter


def _menu_item(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    return next(a for a in menu.actions() if a.text() == text)


def test_pinned_slices_are_listed_gone_to_and_unpinned(make_window, demo_root: Path, tmp_path: Path) -> None:
    window = make_window(ScriptedPrompter())
    dialog = window.pins_dialog
    _menu_item(window, "Pinned slices…").trigger()
    assert dialog.isVisible() and dialog.list.count() == 0 and "Open a data folder" in dialog.note.text()
    window.open_path(demo_root, tmp_path / "ws", offer_restore=False)
    first = str(window.case.id)
    window.state.set_cursor((window.state.cursor[0], window.state.cursor[1], 7))
    assert window.pin_slice()
    other = window.browser.rows[-1].case_id
    window.data.pin(other, 9)
    dialog.refresh()
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [f"{first}  z7", f"{other}  z9"]
    dialog.list.setCurrentRow(1)
    dialog.go_button.click()
    assert window.case.id == other and window.state.cursor[2] == 9
    dialog.list.setCurrentRow(0)
    dialog.unpin_button.click()
    assert window.data.pins() == ((other, 9),)
    assert dialog.list.count() == 1
    dialog.close()
