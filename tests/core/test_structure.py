"""The core's shape: no private names across modules, no hidden imports, modules of readable size.

Import circles between the core's modules are checked by ``make lint`` (import-linter's
``acyclic_siblings`` contract); these tests guard what the contracts do not see.
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "lrpstudio" / "core"
#: A core module longer than this is split (the house rule is about 400 lines).
MAX_LINES = 420


def _modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(CORE.parent.parent))


def test_no_module_imports_another_modules_private_names() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # names bound to lrpstudio modules in this file
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("lrpstudio")):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{_name(path)}:{node.lineno} imports private {private}"
                modules.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names
                               if a.name.startswith("lrpstudio"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                raise AssertionError(f"{_name(path)}:{node.lineno} uses {node.value.id}.{node.attr}")


def test_function_level_imports_say_why() -> None:
    """An import inside a function is a deliberate lazy or optional one, with its reason
    on the line (or on the first line of its group); never a way round an import circle."""
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            imports = [n for n in ast.walk(function) if isinstance(n, (ast.Import, ast.ImportFrom))]
            groups: list[list[ast.stmt]] = []
            for node in sorted(imports, key=lambda n: n.lineno):
                if groups and node.lineno - groups[-1][-1].lineno <= 2:
                    groups[-1].append(node)
                else:
                    groups.append([node])
            for group in groups:
                explained = any("#" in lines[n.lineno - 1] for n in group)
                assert explained, f"{_name(path)}:{group[0].lineno} imports inside a function without a reason"


def test_core_modules_stay_readable() -> None:
    long = {_name(p): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"
