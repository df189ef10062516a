"""Rename (F2), tag (Ctrl+T) and delete (Del, with Undo) runs from the Runs tab, on real runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from lrpstudio.app.run_admin import read_tags
from lrpstudio.core.data.workspace import open_workspace
from lrpstudio.gui.runs.view import RunsView
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("admin_gui") / "run",
                         tiny_dataset(n_cases=6, slices_per_case=2, size=32))


@pytest.fixture
def view(qtbot, tiny_run: Path, tmp_path: Path) -> RunsView:
    runs = Path(open_workspace(tmp_path / "ws").root) / "runs"
    for name in ("alpha", "beta"):
        shutil.copytree(tiny_run, runs / name)
    widget = RunsView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_runs_dir(runs)
    widget.admin.ask = lambda _title, _label, _text: pytest.fail("asked unexpectedly")
    return widget


def _names(view: RunsView) -> list[str]:
    return sorted(view.table.item(i, 0).text() for i in range(view.table.rowCount()))


def _key(qtbot, view: RunsView, key: QtCore.Qt.Key, run: Path,
         modifier: QtCore.Qt.KeyboardModifier = QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    view.select_runs([run])
    view.table.setFocus()
    qtbot.keyClick(view.table, key, modifier)


def test_f2_renames_the_selected_run(qtbot, view: RunsView) -> None:
    runs = view.runs_dir
    assert runs is not None
    view.set_grouped(False)  # alpha and beta are copies: one configuration, one group otherwise
    view.admin.ask = lambda _title, _label, text: "gamma" if text == "alpha" else None
    _key(qtbot, view, QtCore.Qt.Key.Key_F2, runs / "alpha")
    assert _names(view) == ["beta", "gamma"] and (runs / "gamma").is_dir()
    assert view.selected_runs() == [runs / "gamma"]
    view.admin.ask = lambda _title, _label, _text: "beta"  # a clash is refused, nothing moves
    _key(qtbot, view, QtCore.Qt.Key.Key_F2, runs / "gamma")
    assert "exists" in view.status.text() and _names(view) == ["beta", "gamma"]
    view.admin.training_run = lambda: runs / "gamma"
    assert view.admin.rename("delta") is None and "training" in view.status.text()


def test_tags_are_shown_and_filter_the_table(qtbot, view: RunsView) -> None:
    runs = view.runs_dir
    assert runs is not None
    view.set_grouped(False)
    view.admin.ask = lambda _title, _label, _text: "baseline, p=0"
    _key(qtbot, view, QtCore.Qt.Key.Key_T, runs / "beta", QtCore.Qt.KeyboardModifier.ControlModifier)
    assert read_tags(runs / "beta") == ["baseline", "p=0"]
    tags_column = view.table.columnCount() - 1
    assert view.table.horizontalHeaderItem(tags_column).text() == "Tags"
    shown = {view.table.item(i, 0).text(): view.table.item(i, tags_column).text()
             for i in range(view.table.rowCount())}
    assert shown == {"alpha": "", "beta": "baseline, p=0"}
    view.admin.filter.setText("base")
    assert _names(view) == ["beta"]
    view.admin.filter.clear()
    assert _names(view) == ["alpha", "beta"]


def test_del_moves_to_the_trash_and_undo_restores(qtbot, view: RunsView) -> None:
    runs = view.runs_dir
    assert runs is not None
    view.set_grouped(False)
    changed: list[bool] = []
    view.admin.runs_changed.connect(lambda: changed.append(True))
    _key(qtbot, view, QtCore.Qt.Key.Key_Delete, runs / "alpha")
    assert _names(view) == ["beta"] and not (runs / "alpha").exists()
    trashed = list((runs.parent / "trash").iterdir())
    assert len(trashed) == 1 and trashed[0].name.startswith("alpha-")
    assert str(runs.parent / "trash") in view.status.text() and view.admin.undo_button.isVisible()
    qtbot.mouseClick(view.admin.undo_button, QtCore.Qt.MouseButton.LeftButton)
    assert _names(view) == ["alpha", "beta"] and (runs / "alpha").is_dir()
    assert not view.admin.undo_button.isVisible() and changed == [True, True]


def test_the_context_menu_holds_the_actions(view: RunsView) -> None:
    table = view.table
    assert table.contextMenuPolicy() == QtCore.Qt.ContextMenuPolicy.ActionsContextMenu
    texts = {a.text(): a.shortcut().toString() for a in table.actions()}
    assert texts["Rename…"] == "F2" and texts["Delete (to trash)"] == "Del" and texts["Tags…"] == "Ctrl+T"
    assert isinstance(table, QtWidgets.QTableWidget)


def test_run_pickers_follow_a_rename_and_the_training_run_is_guarded(qtbot, tiny_run: Path,
                                                                      tmp_path: Path) -> None:
    from lrpstudio.gui.shell.tabs import StudioTabs

    data = tmp_path / "dataset"  # only its name: the runs folder is given
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "alpha")
    tabs = StudioTabs(QtWidgets.QLabel("viewer"), lambda: None)
    qtbot.addWidget(tabs)
    tabs.open_dataset(data, runs)
    box = tabs.similar.run_box
    assert [box.itemText(i) for i in range(box.count())] == ["alpha"]
    assert tabs.runs.admin.training_run is not None and tabs.runs.admin.training_run() is None
    tabs.runs.select_runs([runs / "alpha"])
    assert tabs.runs.admin.rename("renamed") == runs / "renamed"
    assert [box.itemText(i) for i in range(box.count())] == ["renamed"]
    tabs.training.run_dir, tabs.training.worker = runs / "renamed", object()  # as while it trains
    try:
        tabs.runs.select_runs([runs / "renamed"])
        assert tabs.runs.admin.delete() == [] and (runs / "renamed").is_dir()
        assert "training" in tabs.runs.status.text()
    finally:
        tabs.training.worker = None
