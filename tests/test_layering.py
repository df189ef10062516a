"""The dependency rule: core < app < gui | cli.

``lrpstudio.core`` and ``lrpstudio.app`` must import with PySide6 and pyqtgraph made
unimportable, and never name the GUI or the CLI; the GUI must not import the CLI, and the
only CLI module allowed to reach the GUI is the launcher ``lrpstudio.cli.gui_cmd``
(``lrpstudio gui``), which does so lazily.

The GUI reaches the core's engines only through the app layer. From the core it may
import these modules directly, and nothing else (:data:`GUI_CORE_MODULES`):

- ``lrpstudio.core.errors``: the exceptions it reports;
- ``lrpstudio.core.paths``: the user's folders and the bundled resources;
- ``lrpstudio.core.atomic``: writing an export or a settings file safely;
- ``lrpstudio.core.data.layouts``: the modality names (constants).
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
            raise ImportError(f"{name} is blocked: lrpstudio.core and lrpstudio.app must not import Qt")
        return None

sys.meta_path.insert(0, Block())
import lrpstudio.core, lrpstudio.app
names = [m.name for m in pkgutil.walk_packages(lrpstudio.core.__path__, "lrpstudio.core.")]
names += [m.name for m in pkgutil.walk_packages(lrpstudio.app.__path__, "lrpstudio.app.")]
for name in names:
    importlib.import_module(name)
bad = [m for m in sys.modules if m.startswith(("lrpstudio.gui", "lrpstudio.cli", "PySide6", "pyqtgraph"))]
assert not bad, bad
print(len(names))
"""


#: The only core modules the GUI imports directly (see the module docstring).
GUI_CORE_MODULES: frozenset[str] = frozenset({
    "lrpstudio.core.errors", "lrpstudio.core.paths", "lrpstudio.core.atomic", "lrpstudio.core.data.layouts",
})


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


def test_core_and_app_import_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", _BLOCK_AND_IMPORT],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) >= 15  # it really walked the core and the app


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


def test_app_source_never_names_qt_gui_or_cli() -> None:
    paths = list((PACKAGE / "app").rglob("*.py"))
    assert len(paths) >= 10
    for path in paths:
        for name in _imports(path):
            assert not name.startswith(("PySide6", "pyqtgraph", "shiboken6", "lrpstudio.gui", "lrpstudio.cli")), (
                f"{path.relative_to(PACKAGE.parent)} imports {name}")


def test_gui_reaches_core_engines_only_through_the_app() -> None:
    used = set()
    for path in (PACKAGE / "gui").rglob("*.py"):
        for name in _imports(path):
            if name == "lrpstudio.core" or name.startswith("lrpstudio.core."):
                assert name in GUI_CORE_MODULES, (
                    f"{path.relative_to(PACKAGE.parent)} imports the core engine module {name}: ask lrpstudio.app")
                used.add(name)
    assert used  # the check saw the GUI's imports


def test_gui_views_hold_no_main_window() -> None:
    """Child widgets emit signals; none takes the main window as an untyped ``window`` argument."""
    for path in (PACKAGE / "gui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    untyped = arg.annotation is None or ast.unparse(arg.annotation) == "Any"
                    assert not (arg.arg in ("window", "window_") and untyped), (
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}() takes `window: Any`")
            if isinstance(node, ast.Attribute) and node.attr == "window_":
                raise AssertionError(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} keeps a window_ reference")


def test_no_cross_module_private_names_in_the_front_ends_and_app() -> None:
    for layer in ("app", "gui", "cli"):
        for path in (PACKAGE / layer).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lrpstudio"):
                    private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                    assert not private, f"{path.relative_to(PACKAGE.parent)} imports private {private} from {node.module}"
