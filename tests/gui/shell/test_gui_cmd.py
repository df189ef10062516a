"""``lrpstudio gui PATH --screenshot OUT.png`` and the case browser's problem display."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtGui

from lrpstudio.core.errors import InputError

REPO = Path(__file__).resolve().parents[3]


def test_screenshot_renders_the_window_with_a_case(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # The launcher behind `lrpstudio gui PATH --screenshot OUT` (the CLI module only parses).
    code = ("import sys; from pathlib import Path; from lrpstudio.gui.shell.launch import run_gui; "
            "sys.exit(run_gui(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))")
    result = subprocess.run([sys.executable, "-c", code, str(demo_root), str(out),
                             str(tmp_path / "ws")],
                            capture_output=True, text=True, timeout=240, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    image = QtGui.QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 600
    # Not a blank window: the views hold many different grey levels and overlay colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50


def _gui_parser() -> argparse.ArgumentParser:
    from lrpstudio.cli import gui_cmd

    parser = argparse.ArgumentParser(prog="lrpstudio")
    gui_cmd.register(parser.add_subparsers(dest="command"))
    return parser


def test_gui_command_parses_and_rejects_a_missing_folder(tmp_path: Path) -> None:
    parser = _gui_parser()
    args = parser.parse_args(["gui", str(tmp_path), "--screenshot", "a.png", "--workspace", "w"])
    assert args.path == tmp_path and args.screenshot == Path("a.png") and args.workspace == Path("w")
    missing = tmp_path / "nope"
    args = parser.parse_args(["gui", str(missing)])
    with pytest.raises(InputError) as raised:
        args.handler(args)
    assert raised.value.exit_code == 2 and str(missing) in raised.value.message()
    help_text = parser._subparsers._group_actions[0].choices["gui"].format_help()
    assert "--screenshot" in help_text and "examples:" in help_text


def test_gui_command_module_does_not_import_qt() -> None:
    code = ("import sys, lrpstudio.cli.gui_cmd; "
            "sys.exit(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0


def test_cases_with_problems_are_listed_not_hidden(make_window, demo_root: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_root, data)
    broken = sorted(p for p in data.iterdir() if p.is_dir())[1]
    next(broken.glob("*_t1ce.nii.gz")).unlink()
    window = make_window()
    window.open_path(data, tmp_path / "ws")
    row = window.browser.row_of(broken.name)
    assert row is not None and row.problems and not row.openable
    assert len(window.browser.rows) == 3
    assert "1 with problems" in window.browser.summary.text()
    table = window.browser.table
    r = [table.item(i, 0).text() for i in range(table.rowCount())].index(broken.name)
    assert "t1ce" in table.item(r, 4).text().lower() or "missing" in table.item(r, 4).text().lower()
    opened = window.case.id
    window.browser.select(broken.name)  # shows why, keeps the open case
    assert window.case.id == opened
    assert broken.name in window.browser.details.text()
    assert "cannot be opened" in window.statusBar().currentMessage()
