"""The Labels dock: per-label show/hide and opacity, the label table and compare mode.

One row per tumour label and one for the whole tumour: voxels and millilitres of the
original mask (the one in the data folder) beside the corrected one (the mask being
edited), and their Dice overlap. Compare mode (View > Compare original / corrected, C)
draws where the two differ instead of the labels. The numbers come from
:mod:`lrpstudio.app.label_stats`; they are recomputed a moment after an edit, and only
while the dock is in view.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.app.data_source import Case
from lrpstudio.app.label_stats import LabelRow, case_table, original_seg
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.gui.viewer.overlay import DIFFERENCE_COLOURS, DIFFERENCE_NAMES, LABEL_COLOURS
from lrpstudio.gui.viewer.view_state import ViewState

#: Short names for the table (the long ones are in the tooltips); 0 is the whole tumour.
SHORT_NAMES: dict[int, str] = {1: "core", 2: "oedema", 3: "enhancing", 0: "whole"}
#: Two-line cells (voxels over ml) keep the table inside the 300 px wide dock.
COLUMNS: tuple[str, ...] = ("Label", "Original\nvoxels, ml", "Corrected\nvoxels, ml", "Dice")
#: Quiet time after the last edit before the table is recounted.
REFRESH_DELAY_MS = 300


def _swatch(rgb: tuple[int, int, int]) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(12, 12)
    pixmap.fill(QtGui.QColor(*rgb))
    return QtGui.QIcon(pixmap)


def cell_texts(row: LabelRow) -> tuple[str, str, str]:
    """The statistics cells of one row: original and corrected (voxels over ml), and Dice."""
    def amount(voxels: int | None, ml: float | None) -> str:
        return "–" if voxels is None or ml is None else f"{voxels:,}\n{ml:.2f} ml"

    dice = "–" if row.dice is None else f"{row.dice:.3f}"
    return (amount(row.voxels_original, row.ml_original),
            amount(row.voxels_corrected, row.ml_corrected), dice)


class LabelPanel(QtWidgets.QWidget):
    """Label table, per-label display and compare mode of the viewer.

    Parameters
    ----------
    state
        The views' shared state (its ``seg`` is the corrected mask).
    compare_action
        The checkable View > Compare action; a button here triggers it.
    case
        Returns the open case (None before one is open).
    """

    def __init__(self, state: ViewState, compare_action: QtGui.QAction,
                 case: Callable[[], Case | None], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self._case = state, case
        self.rows: list[LabelRow] = []
        self._stale = True
        self._original_pending = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        layout = QtWidgets.QVBoxLayout(self)
        # A plain button that follows the action: a default action would take over its
        # long menu text and widen the dock.
        self.compare = QtWidgets.QPushButton("Compare original / corrected", self)
        self.compare.setCheckable(True)
        self.compare.setToolTip(compare_action.toolTip())
        self.compare.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.compare.clicked.connect(lambda _checked=False: compare_action.trigger())
        compare_action.changed.connect(lambda: self.compare.setChecked(compare_action.isChecked()))
        layout.addWidget(self.compare)
        self.legend = QtWidgets.QLabel("  ".join(
            f"<span style='color: rgb{rgb}'>■</span>&nbsp;{DIFFERENCE_NAMES[code]}"
            for code, rgb in DIFFERENCE_COLOURS.items()), self)
        self.legend.setToolTip("Compare mode: tumour the correction added, removed, or gave another label")
        layout.addWidget(self.legend)
        self.note = QtWidgets.QLabel("", self)
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        layout.addWidget(self.note)
        layout.addWidget(self._build_display())
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        state.volume_changed.connect(self._on_volume)
        state.seg_changed.connect(lambda _region: self.schedule())
        state.overlay_changed.connect(self._sync_style)

    def _build_display(self) -> QtWidgets.QGroupBox:
        """Per label: show / hide and its own opacity (a factor on the overlay opacity)."""
        group = QtWidgets.QGroupBox("Show labels", self)
        grid = QtWidgets.QGridLayout(group)
        self.shown: dict[int, QtWidgets.QCheckBox] = {}
        self.opacity: dict[int, QtWidgets.QSlider] = {}
        for row, label in enumerate(LABEL_COLOURS):
            box = QtWidgets.QCheckBox(SHORT_NAMES[label], group)
            box.setIcon(_swatch(LABEL_COLOURS[label]))
            box.setChecked(True)
            box.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            box.setToolTip(f"Show / hide label {label} ({SHORT_NAMES[label]}) in the views")
            box.toggled.connect(lambda on, lab=label: self.state.set_label_style(lab, visible=on))
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, group)
            slider.setRange(0, 100)
            slider.setValue(100)
            slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            slider.setToolTip(f"Opacity of label {label}, relative to the overlay opacity")
            slider.valueChanged.connect(
                lambda value, lab=label: self.state.set_label_style(lab, opacity=value / 100))
            grid.addWidget(box, row, 0)
            grid.addWidget(slider, row, 1)
            self.shown[label], self.opacity[label] = box, slider
        return group

    def _build_table(self) -> QtWidgets.QTableWidget:
        table = QtWidgets.QTableWidget(len(SHORT_NAMES), len(COLUMNS), self)
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        table.setWordWrap(True)
        table.setToolTip("Original: the mask in the data folder; corrected: the mask being edited "
                         "(the workspace correction and the edits since). Dice: their overlap.")
        for index, (label, name) in enumerate(SHORT_NAMES.items()):
            item = QtWidgets.QTableWidgetItem(name)
            if label in LABEL_COLOURS:
                item.setIcon(_swatch(LABEL_COLOURS[label]))
            table.setItem(index, 0, item)
            for column in range(1, len(COLUMNS)):
                cell = QtWidgets.QTableWidgetItem("–")
                cell.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                table.setItem(index, column, cell)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return table

    # -- display controls -----------------------------------------------------------------
    def _sync_style(self) -> None:
        """Show the state's per-label style in the check boxes and sliders (and read the
        original mask when compare mode needs it)."""
        if self.state.compare:
            self.ensure_original()
        style = self.state.style
        for label, box in self.shown.items():
            blocker = QtCore.QSignalBlocker(box)
            box.setChecked(label not in style.hidden)
            del blocker
            slider_blocker = QtCore.QSignalBlocker(self.opacity[label])
            self.opacity[label].setValue(int(round(style.opacity_of(label) * 100)))
            del slider_blocker

    # -- statistics -----------------------------------------------------------------------
    def _on_volume(self) -> None:
        """A new case: its original mask is read when first needed, then the table recounted."""
        self._original_pending = True
        self.note.setVisible(False)
        self.schedule()

    def ensure_original(self) -> None:
        """Read the open case's original mask from the data folder, once per case.

        Only when the table is in view or compare mode is on: most cases are opened,
        edited and left without either, and reading the file costs a moment.
        """
        if not self._original_pending:
            return
        self._original_pending = False
        case = self._case()
        original: np.ndarray | None = None
        note = ""
        if case is not None:
            try:
                original = original_seg(case)
            except LrpStudioError as error:
                note = f"Original mask not usable: {error}"
            else:
                if original is None:
                    note = "No original mask in the data folder: the corrected columns only."
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.state.set_original(original)

    def schedule(self) -> None:
        """Recount a moment after the last change (edits come stroke by stroke)."""
        self._stale = True
        self._timer.start()

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self._timer.start(0)

    def refresh(self) -> None:
        """Recount the table from the state's corrected and original masks now."""
        case, seg = self._case(), self.state.seg
        if case is None or seg is None or not self.state.has_volume:
            return
        self.ensure_original()
        self.rows = case_table(case, seg, self.state.original)
        by_label = {row.label: row for row in self.rows}
        for index, label in enumerate(SHORT_NAMES):
            for column, text in enumerate(cell_texts(by_label[label]), start=1):
                cell = self.table.item(index, column)
                if cell is not None:
                    cell.setText(text)
        self.table.resizeRowsToContents()
        self._stale = False
