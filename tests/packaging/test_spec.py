"""Cheap checks of the packaging files (the frozen build itself is `make package-test`)."""

from __future__ import annotations

import ast
import configparser
import importlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "lrpstudio.spec"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"))


def _calls(name: str) -> list[ast.Call]:
    return [n for n in ast.walk(_spec_tree()) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name) and n.func.id == name]


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _import_packaging(name: str):
    """Import a module that lives in packaging/ (not a package: the spec imports it by path)."""
    sys.path.insert(0, str(PACKAGING))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(PACKAGING))


def test_no_upx_anywhere() -> None:
    for name in ("EXE", "COLLECT"):
        (call,) = _calls(name)
        upx = _keyword(call, "upx")
        assert isinstance(upx, ast.Constant) and upx.value is False, f"{name} must set upx=False"
    assert "upx=True" not in SPEC.read_text(encoding="utf-8")


def test_resources_and_every_lrpstudio_module_are_collected() -> None:
    (analysis,) = _calls("Analysis")
    datas = ast.unparse(_keyword(analysis, "datas"))
    assert datas == "[(str(ROOT / 'resources'), 'resources')]"
    hidden = ast.unparse(_keyword(analysis, "hiddenimports"))
    assert hidden == "HIDDEN" and '(ROOT / "lrpstudio").rglob("*.py")' in SPEC.read_text(encoding="utf-8")
    entry = ast.unparse(analysis.args[0])
    assert "lrpstudio_entry.py" in entry and (PACKAGING / "lrpstudio_entry.py").is_file()
    assert (ROOT / "resources" / "icons" / "app.svg").is_file()


def test_excludes_test_tools_and_unused_qt() -> None:
    excluded = _import_packaging("bundle_filter").EXCLUDED_MODULES
    (analysis,) = _calls("Analysis")
    assert ast.unparse(_keyword(analysis, "excludes")) == "list(EXCLUDED_MODULES)"
    for name in ("pytest", "_pytest", "tkinter", "PyQt5", "PySide6.QtQml", "PySide6.QtQuick"):
        assert name in excluded
    for needed in ("PySide6.QtSvg", "PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtOpenGLWidgets"):
        assert needed not in excluded, f"{needed} is used by the app or pyqtgraph"


@pytest.mark.parametrize("dest, kept", [
    ("torch/include/ATen/ATen.h", False),
    ("torch/share/cmake/Torch/TorchConfig.cmake", False),
    ("numpy/_core/tests/data/umath-validation-set-exp.csv", False),
    ("PySide6/Qt/lib/libQt6Quick.so.6", False),
    ("PySide6/Qt/lib/libQt6Qml.so.6", False),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
    ("torch/lib/libtorch_cpu.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
    ("resources/icons/app.svg", True),
    ("nvidia/cudnn/lib/libcudnn.so.9", True),  # the default bundle keeps CUDA working
])
def test_keep_filter(dest: str, kept: bool) -> None:
    assert _import_packaging("bundle_filter").keep(dest) is kept


def test_triton_and_test_only_packages_are_excluded() -> None:
    excluded = _import_packaging("bundle_filter").EXCLUDED_MODULES
    assert "triton" in excluded and "sklearn" in excluded
    app_imports = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "lrpstudio").rglob("*.py"))
    for name in ("triton", "sklearn"):
        assert f"import {name}" not in app_imports and f"from {name}" not in app_imports, \
            f"lrpstudio imports {name}: it must not be excluded from the bundle"


def test_entry_script_calls_freeze_support_before_the_cli() -> None:
    tree = ast.parse((PACKAGING / "lrpstudio_entry.py").read_text(encoding="utf-8"))
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    order = [ast.unparse(s) for s in main.body[1:]]  # after the docstring
    assert order[0] == "multiprocessing.freeze_support()"
    assert order.index("ensure_streams()") < next(i for i, s in enumerate(order) if "cli_main" in s)


def test_windowed_build_streams_go_to_a_log_file(tmp_path: Path, monkeypatch) -> None:
    lrpstudio_entry = _import_packaging("lrpstudio_entry")
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    path = lrpstudio_entry.ensure_streams(tmp_path / "logs")
    print("hello from a windowed app")
    sys.stderr.write("and its warnings\n")
    sys.stdout.flush()
    assert path == tmp_path / "logs" / "console.log"
    assert path.read_text(encoding="utf-8") == "hello from a windowed app\nand its warnings\n"
    monkeypatch.undo()
    assert lrpstudio_entry.ensure_streams(tmp_path / "unused") is None  # real streams: untouched
    assert not (tmp_path / "unused").exists()


def test_desktop_file_and_installer_scripts() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(PACKAGING / "linux" / "lrpstudio.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Icon"] == "lrpstudio"
    assert entry["Exec"].startswith("@BUNDLE@/lrpstudio") and entry["Terminal"] == "false"
    iss = (PACKAGING / "windows" / "lrpstudio.iss").read_text(encoding="utf-8")
    assert "AppId={{" in iss and r"..\dist\lrpstudio" in iss and "lrpstudio.exe" in iss
    assert "hdiutil create" in (PACKAGING / "macos" / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\npackage:" in makefile and "\npackage-test:" in makefile
    for ignored in ("packaging/build/", "packaging/dist/"):
        assert ignored in (ROOT / ".gitignore").read_text(encoding="utf-8")


def test_tarball_script_packs_bundle_desktop_file_and_icon(tmp_path: Path) -> None:
    bundle = tmp_path / "dist" / "lrpstudio"
    bundle.mkdir(parents=True)
    exe = bundle / "lrpstudio"
    exe.write_text("#!/bin/sh\necho bundle\n")
    exe.chmod(0o755)
    (bundle / "_internal").mkdir()
    (bundle / "_internal" / "base_library.zip").write_bytes(b"PK")
    result = subprocess.run(["sh", str(PACKAGING / "linux" / "make_tarball.sh"), str(tmp_path / "dist")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (archive,) = (tmp_path / "dist").glob("lrpstudio-*-linux-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        top = archive.name[: -len(".tar.gz")]
        for member in ("lrpstudio/lrpstudio", "lrpstudio/_internal/base_library.zip", "lrpstudio.desktop",
                       "lrpstudio.svg", "install.sh"):
            assert f"{top}/{member}" in names
        assert tar.getmember(f"{top}/lrpstudio/lrpstudio").mode & 0o111
        tar.extractall(tmp_path / "unpacked", filter="tar")
    assert not any(p.name.startswith(".stage") for p in (tmp_path / "dist").iterdir())
    home = tmp_path / "xdg"
    unpacked = tmp_path / "unpacked" / top
    env = {**os.environ, "XDG_DATA_HOME": str(home)}
    subprocess.run(["sh", str(unpacked / "install.sh")], check=True, env=env, capture_output=True)
    desktop = (home / "applications" / "lrpstudio.desktop").read_text(encoding="utf-8")
    assert f"Exec={unpacked}/lrpstudio/lrpstudio %f" in desktop and "@BUNDLE@" not in desktop
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / "lrpstudio.svg").is_file()
    subprocess.run(["sh", str(unpacked / "install.sh"), "--remove"], check=True, env=env, capture_output=True)
    assert not (home / "applications" / "lrpstudio.desktop").exists()


def test_icons_render_from_the_svg(qapp, tmp_path: Path) -> None:
    make_icons = _import_packaging("make_icons")
    written = make_icons.make_icons(tmp_path)
    magic = {".png": b"\x89PNG", ".ico": b"\x00\x00\x01\x00", ".icns": b"icns"}
    assert sorted(p.suffix for p in written) == [".icns", ".ico", ".png"]
    for path in written:
        assert path.read_bytes()[:4] == magic[path.suffix], path
