"""Overlay colours; the shortcut table behind actions, tooltips and the cheat-sheet."""

from __future__ import annotations

import itertools

import numpy as np
from PySide6 import QtCore

from lrpstudio.gui.viewer.overlay import LABEL_COLOURS, label_lut
from lrpstudio.gui.shell.shortcuts import SHORTCUTS, cheat_sheet_html, tooltip

# Viénot, Brettel & Mollon (1999) simulation matrices in linear RGB.
_PROTAN = np.array([[0.11238, 0.88762, 0.0], [0.11238, 0.88762, 0.0], [0.00401, -0.00401, 1.0]])
_DEUTAN = np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]])


def _linear(rgb: tuple[int, int, int]) -> np.ndarray:
    c = np.array(rgb, float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def test_label_colours_stay_apart_for_colour_blind_viewers() -> None:
    for matrix in (np.eye(3), _PROTAN, _DEUTAN):
        seen = [matrix @ _linear(rgb) for rgb in LABEL_COLOURS.values()]
        for a, b in itertools.combinations(seen, 2):
            assert np.linalg.norm(a - b) > 0.15, "two labels look alike"


def test_lut_is_transparent_except_labels() -> None:
    lut = label_lut()
    assert lut.shape == (256, 4) and lut[0, 3] == 0
    for label, rgb in LABEL_COLOURS.items():
        assert tuple(lut[label, :3]) == rgb and lut[label, 3] == 255
    assert not lut[4:, 3].any()


def test_shortcut_table_has_no_clashes_and_reaches_the_cheat_sheet() -> None:
    keys = [k for s in SHORTCUTS if s.kind != "mouse" for k in s.keys]
    assert len(keys) == len(set(keys)), "a key is bound twice"
    ids = [s.id for s in SHORTCUTS]
    assert len(ids) == len(set(ids))
    html = cheat_sheet_html()
    for s in SHORTCUTS:
        assert s.keys[0].replace("<", "&lt;") in html
        assert s.keys[0] in tooltip(s.id)


def test_every_action_has_its_key_and_tooltip(make_window) -> None:
    window = make_window()
    for s in SHORTCUTS:
        if s.kind != "action":
            continue
        action = window.action_map[s.id]
        assert [k.toString() for k in action.shortcuts()] != [], s.id
        assert s.keys[0] in action.toolTip()
        assert action.receivers(QtCore.SIGNAL("triggered(bool)")) >= 1, f"{s.id} does nothing"


def test_the_cheat_sheet_closes_with_its_close_button_and_with_esc(qtbot) -> None:
    from PySide6 import QtWidgets

    from lrpstudio.gui.shell.shortcuts import cheat_sheet_dialog

    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    for close in ("button", "esc"):
        dialog = cheat_sheet_dialog(parent)
        qtbot.waitExposed(dialog)
        with qtbot.waitSignal(dialog.finished, timeout=2000):
            if close == "button":
                box = dialog.findChild(QtWidgets.QDialogButtonBox)
                box.button(QtWidgets.QDialogButtonBox.StandardButton.Close).click()
            else:
                qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Escape)
        assert not dialog.isVisible()
