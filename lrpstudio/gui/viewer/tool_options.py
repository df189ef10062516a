"""The settings of the click tools, shown under the tool buttons for the active tool only.

Fill: spread through the same label, or through intensities within a tolerance of the
clicked voxel's; in the slice or in 3D. Grow: spread through intensities in
``[low, high]`` of the shown modality, the range taken from the seed's neighbourhood
(mean ± k·sd, written into the boxes) or typed; in the slice or in 3D. Polygon: fill or
erase. Showing only the active tool's settings keeps the panel short enough for a
768 px screen. The widgets hold values only; the editing controller reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from lrpstudio.gui.shell.shortcuts import shortcut


@dataclass(frozen=True)
class FillOptions:
    """What the Fill tool spreads through, and where."""

    criterion: str  # "label" or "intensity"
    tolerance: float
    in_3d: bool


@dataclass(frozen=True)
class GrowOptions:
    """The Grow tool's range (None: from the seed), its k and where it grows."""

    low: float
    high: float
    from_seed: bool
    k: float
    in_3d: bool


def _row(parent: QtWidgets.QWidget, *widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
    row = QtWidgets.QWidget(parent)
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row


def _spin(parent: QtWidgets.QWidget, lo: float, hi: float, decimals: int,
          tip: str) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox(parent)
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    # The range's widest text would set the width; the panel is 300 px wide.
    box.setMinimumWidth(70)
    return box


class ToolOptions(QtWidgets.QWidget):
    """One small box of settings per click tool; only the active tool's is visible."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QtWidgets.QWidget] = {
            "fill": self._fill_box(), "grow": self._grow_box(), "polygon": self._polygon_box()}
        for box in self.boxes.values():
            layout.addWidget(box)
        self.show_for("navigate")

    def _fill_box(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget(self)
        form = QtWidgets.QVBoxLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        self.fill_by = QtWidgets.QComboBox(box)
        self.fill_by.addItem("same label", "label")
        self.fill_by.addItem("similar intensity", "intensity")
        self.fill_by.setToolTip("Fill spreads through voxels of the clicked voxel's label, or through "
                                "intensities within the tolerance of the clicked voxel's")
        self.fill_tolerance = _spin(box, 0.0, 1e9, 1, "Intensity tolerance (± around the clicked voxel)")
        self.fill_tolerance.setValue(50.0)
        self.fill_3d = QtWidgets.QCheckBox("3D", box)
        self.fill_3d.setToolTip("Spread through the whole volume (6 neighbours) instead of the slice")
        form.addWidget(_row(box, QtWidgets.QLabel("Fill by", box), self.fill_by))
        form.addWidget(_row(box, QtWidgets.QLabel("±", box), self.fill_tolerance, self.fill_3d))
        self.fill_by.currentIndexChanged.connect(self._follow_fill_by)
        self._follow_fill_by()
        return box

    def _grow_box(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget(self)
        form = QtWidgets.QVBoxLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        self.grow_low = _spin(box, -1e9, 1e9, 1, "Lowest intensity of the grown region")
        self.grow_high = _spin(box, -1e9, 1e9, 1, "Highest intensity of the grown region")
        self.grow_from_seed = QtWidgets.QCheckBox("Seed mean ±", box)
        self.grow_from_seed.setChecked(True)
        self.grow_from_seed.setToolTip("Take the range from the clicked voxel's 3x3 neighbourhood "
                                       "(mean ± k standard deviations); untick to use the range typed")
        self.grow_k = _spin(box, 0.0, 10.0, 1, "k: standard deviations on each side of the mean")
        self.grow_k.setValue(2.0)
        self.grow_k.setMaximumWidth(70)
        self.grow_3d = QtWidgets.QCheckBox("3D", box)
        self.grow_3d.setToolTip("Grow through the whole volume (6 neighbours) instead of the slice")
        form.addWidget(_row(box, QtWidgets.QLabel("Range", box), self.grow_low,
                            QtWidgets.QLabel("–", box), self.grow_high))
        form.addWidget(_row(box, self.grow_from_seed, self.grow_k, QtWidgets.QLabel("sd", box),
                            self.grow_3d))
        for spin in (self.grow_low, self.grow_high):  # a typed range is the range used
            spin.valueChanged.connect(lambda _v: self.grow_from_seed.setChecked(False))
        return box

    def _polygon_box(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget(self)
        form = QtWidgets.QVBoxLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        hint = QtWidgets.QLabel(
            f"Click corners or drag a lasso; {shortcut('tool.apply_preview').keys[0]} or a double "
            f"click fills, {shortcut('tool.cancel_preview').keys[0]} cancels.", box)
        hint.setWordWrap(True)
        self.polygon_erase = QtWidgets.QCheckBox("Erase inside instead of filling", box)
        form.addWidget(hint)
        form.addWidget(self.polygon_erase)
        return box

    # -- state ------------------------------------------------------------------------------
    def _follow_fill_by(self) -> None:
        self.fill_tolerance.setEnabled(self.fill_by.currentData() == "intensity")

    def show_for(self, tool: str) -> None:
        """Show the box of ``tool`` (none for navigate, brush and eraser)."""
        for name, box in self.boxes.items():
            box.setVisible(name == tool)
        self.setVisible(tool in self.boxes)

    def fill(self) -> FillOptions:
        """The Fill tool's settings."""
        return FillOptions(str(self.fill_by.currentData()), float(self.fill_tolerance.value()),
                           self.fill_3d.isChecked())

    def grow(self) -> GrowOptions:
        """The Grow tool's settings."""
        return GrowOptions(float(self.grow_low.value()), float(self.grow_high.value()),
                           self.grow_from_seed.isChecked(), float(self.grow_k.value()),
                           self.grow_3d.isChecked())

    def show_range(self, low: float, high: float) -> None:
        """Write the range a seed gave into the boxes (without signalling a change)."""
        blockers = [QtCore.QSignalBlocker(w) for w in (self.grow_low, self.grow_high)]
        self.grow_low.setValue(low)
        self.grow_high.setValue(high)
        del blockers
