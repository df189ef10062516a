"""The overlay legend in the Tools dock wraps between entries, never between a swatch and
its name (at 1366x768 'enhancing (ET)' went to the next line without its swatch)."""

from __future__ import annotations

from PySide6 import QtGui


def test_legend_entries_stay_whole_when_the_legend_wraps(make_window) -> None:
    window = make_window()
    legend = window.panel.legend
    for width in (180, 240, 290):
        document = QtGui.QTextDocument()
        document.setDefaultFont(legend.font())
        document.setHtml(legend.text())
        document.setTextWidth(width)
        document.size()  # lays the text out
        layout = document.firstBlock().layout()
        text = document.toPlainText()
        lines = [text[layout.lineAt(i).textStart():layout.lineAt(i).textStart()
                      + layout.lineAt(i).textLength()].strip() for i in range(layout.lineCount())]
        assert lines and "".join(lines).count("■") == 3
        for line in lines:  # every line starts with a swatch and none ends with one
            assert line.startswith("■") and not line.endswith("■"), (width, lines)
