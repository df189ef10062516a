"""Render ``resources/icons/app.svg`` into the icon files installers want.

Writes ``packaging/build/icons/``: ``lrpstudio.png`` (256 px, Linux menus that want a
bitmap), ``lrpstudio.ico`` (Windows: the .exe and the Inno Setup installer) and
``lrpstudio.icns`` (macOS .app). Qt renders and encodes them (its svg, ico and icns
image plugins), so no other tool is needed on any of the three systems.

Usage: ``python packaging/make_icons.py [OUT_DIR]``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(svg: Path, size: int) -> "QtGui.QImage":  # noqa: F821 - Qt is imported lazily
    """The SVG drawn on a transparent ``size`` x ``size`` image."""
    from PySide6 import QtCore, QtGui, QtSvg

    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    QtSvg.QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def make_icons(out: Path, svg: Path = ROOT / "resources" / "icons" / "app.svg") -> list[Path]:
    """Write the PNG, ICO and ICNS icons into ``out``; returns their paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtGui

    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication([])  # noqa: F841 - Qt needs one
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fmt in (("lrpstudio.png", "PNG"), ("lrpstudio.ico", "ICO"), ("lrpstudio.icns", "ICNS")):
        path = out / name
        if not render(svg, 256).save(str(path), fmt):
            raise OSError(f"{path}: Qt could not write {fmt} (image format plugin missing?)")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "build" / "icons"
    for icon in make_icons(target):
        print(icon)
