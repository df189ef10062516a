"""The dependency rule: core never imports Qt, the GUI or the CLI.

``lrpstudio.core`` must import with PySide6 and pyqtgraph made unimportable, the GUI must
not import the CLI, and the only CLI module allowed to reach the GUI is the launcher
``lrpstudio.cli.gui_cmd`` (``lrpstudio gui``), which does so lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lrpstudio"

_BLOCK_AND_IMPORT = r"""
import importlib, importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6"):
            raise ImportError(f"{name} is blocked: lrpstudio.core must not import Qt")
        return None

sys.meta_path.insert(0, Block())
import lrpstudio.core
names = [m.name for m in pkgutil.walk_packages(lrpstudio.core.__path__, "lrpstudio.core.")]
for name in names:
    importlib.import_module(name)
bad = [m for m in sys.modules if m.startswith(("lrpstudio.gui", "lrpstudio.cli", "PySide6", "pyqtgraph"))]
assert not bad, bad
print(len(names))
"""


def _imports(path: Path) -> set[str]:
    """Every module name a source file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", _BLOCK_AND_IMPORT],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) >= 5  # it really walked the core


def test_core_source_never_names_gui_or_cli() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("PySide6", "pyqtgraph", "lrpstudio.gui", "lrpstudio.cli")), (
                f"{path.relative_to(PACKAGE.parent)} imports {name}")


def test_gui_never_imports_cli() -> None:
    for path in (PACKAGE / "gui").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith("lrpstudio.cli"), f"{path.name} imports {name}"


def test_only_the_launcher_reaches_the_gui_from_the_cli() -> None:
    for path in (PACKAGE / "cli").rglob("*.py"):
        if path.name == "gui_cmd.py":
            continue
        for name in _imports(path):
            assert not name.startswith(("lrpstudio.gui", "PySide6", "pyqtgraph")), (
                f"{path.name} imports {name}")
