"""The side panel: modality, window/level and overlay controls, and the editing tools.

The panel owns no state: its widgets mirror the :class:`ViewState` and the editing
controller, and every change goes through the window's actions, so a key and a button
do exactly the same thing.
"""

from __future__ import annotations

from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.gui.viewer.overlay import LABEL_COLOURS, LABEL_NAMES
from lrpstudio.gui.viewer.tool_options import ToolOptions
from lrpstudio.gui.shell.shortcuts import tooltip
from lrpstudio.gui.viewer.view_state import LEVEL_PRESETS

PAINT_OVER_TEXT: dict[str, str] = {
    "everything": "Paint over everything",
    "background_only": "Background only",
    "protect_others": "Protect other labels",
}


def _swatch(rgb: tuple[int, int, int]) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(14, 14)
    pixmap.fill(QtGui.QColor(*rgb))
    return QtGui.QIcon(pixmap)


class ToolPanel(QtWidgets.QScrollArea):
    """Controls on the right of the views.

    Parameters
    ----------
    actions
        The window's actions by id (see :mod:`lrpstudio.gui.shell.shortcuts`); buttons trigger them.
    """

    def __init__(self, actions: dict[str, QtGui.QAction],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.action_map = actions
        body = QtWidgets.QWidget(self)
        self.layout_ = QtWidgets.QVBoxLayout(body)
        self.layout_.addWidget(self._view_group())
        self.layout_.addWidget(self._tool_group())
        self.layout_.addWidget(self._cleanup_group())
        self.layout_.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        # The body's own width plus the frame: at exactly 300 px the frame clipped 2 px of it.
        self.setMinimumWidth(max(300, body.minimumSizeHint().width()) + 2 * self.frameWidth())
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    # -- helpers ----------------------------------------------------------------------
    def _button(self, action_id: str, text: str | None = None) -> QtWidgets.QToolButton:
        """A button that triggers an action and mirrors its checked/enabled state.

        A QToolButton with a default action would take over the action's (long, menu)
        text whenever the action changes; the panel wants short labels.
        """
        action = self.action_map[action_id]
        button = QtWidgets.QToolButton(self)
        button.setText(text or action.text())
        button.setToolTip(action.toolTip())
        if not action.icon().isNull():
            button.setIcon(action.icon())
            button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setCheckable(action.isCheckable())
        button.setChecked(action.isChecked())
        button.setEnabled(action.isEnabled())
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay with the views
        button.clicked.connect(lambda _checked=False: action.trigger())
        def follow() -> None:
            button.setChecked(action.isChecked())
            button.setEnabled(action.isEnabled())

        action.changed.connect(follow)
        button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                             QtWidgets.QSizePolicy.Policy.Fixed)
        return button

    def _row(self, *widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget(self)
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget)
        return row

    # -- groups -----------------------------------------------------------------------
    def _view_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("View", self)
        form = QtWidgets.QVBoxLayout(group)
        form.addWidget(self._row(*(self._button(f"view.modality.{m}") for m in MODALITIES)))
        self.preset = QtWidgets.QComboBox(self)
        self.preset.addItems([name for name, _, _ in LEVEL_PRESETS])
        self.preset.setToolTip(tooltip("view.wl_preset", "Window/level preset") +
                               "; right-drag in a view to adjust")
        # The preset box and the window's numbers share a row (typed, or followed while
        # right-dragging; see window_level.py): the panel must still fit a 768 px screen.
        # "Auto" is the first preset (and the A key).
        self.preset.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(7)
        self.window_width = QtWidgets.QDoubleSpinBox(self)
        self.window_level = QtWidgets.QDoubleSpinBox(self)
        for box, tip in ((self.window_width, "Window width (high - low) of the shown modality"),
                         (self.window_level, "Window level (centre) of the shown modality")):
            box.setRange(-1e9, 1e9)
            box.setDecimals(0)
            box.setKeyboardTracking(False)  # apply on Enter / focus out, not per digit
            box.setToolTip(tip + "; type a value and press Enter")
            box.setButtonSymbols(QtWidgets.QAbstractSpinBox.ButtonSymbols.NoButtons)
            box.setMinimumWidth(48)  # not the width of "-1000000000": the panel must stay narrow
        self.window_width.setMinimum(1)
        form.addWidget(self._row(self.preset, QtWidgets.QLabel("W", self), self.window_width,
                                 QtWidgets.QLabel("L", self), self.window_level))
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip(f"Overlay opacity ({tooltip('view.opacity_down', 'less')}, "
                                f"{tooltip('view.opacity_up', 'more')})")
        form.addWidget(self._row(QtWidgets.QLabel("Opacity", self), self.opacity))
        form.addWidget(self._row(self._button("view.overlay", "Overlay"),
                                 self._button("view.outline", "Outline")))
        # An entry never breaks between its swatch and its name (non-breaking spaces): a
        # narrow panel wraps between entries, not after a lone swatch.
        self.legend = QtWidgets.QLabel("  ".join(
            f"<span style='color: rgb{rgb}'>■</span>&nbsp;{LABEL_NAMES[label].replace(' ', '&nbsp;')}"
            for label, rgb in LABEL_COLOURS.items()), self)
        self.legend.setWordWrap(True)
        form.addWidget(self.legend)
        return group

    def _tool_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Edit", self)
        form = QtWidgets.QVBoxLayout(group)
        form.addWidget(self._row(self._button("tool.navigate", "Navigate"),
                                 self._button("tool.brush"), self._button("tool.eraser")))
        form.addWidget(self._row(self._button("tool.fill", "Fill"), self._button("tool.grow", "Grow"),
                                 self._button("tool.polygon", "Polygon")))
        self.target = QtWidgets.QComboBox(self)
        for label in LABEL_COLOURS:
            self.target.addItem(_swatch(LABEL_COLOURS[label]), f"{label}: {LABEL_NAMES[label]}",
                                f"label:{label}")
        self.target.addItem("whole tumour (guidance mask)", "guidance")
        self.target.setToolTip("Layer to edit (Ctrl+1 / Ctrl+2 / Ctrl+3 pick a label)")
        form.addWidget(self.target)
        self.radius = QtWidgets.QSpinBox(self)
        self.radius.setRange(0, 50)
        self.radius.setSuffix(" vox")
        self.radius.setToolTip(f"Brush radius ({tooltip('tool.smaller', 'smaller')}, "
                               f"{tooltip('tool.bigger', 'bigger')})")
        self.radius_row = self._row(QtWidgets.QLabel("Radius", self), self.radius,
                                    self._button("tool.toggle_3d", "3D brush"))
        form.addWidget(self.radius_row)
        self.options = ToolOptions(self)
        form.addWidget(self.options)
        self.paint_over = QtWidgets.QComboBox(self)
        for key, text in PAINT_OVER_TEXT.items():
            self.paint_over.addItem(text, key)
        self.paint_over.setToolTip("Which voxels the brush may change")
        form.addWidget(self.paint_over)
        self.range_on = QtWidgets.QCheckBox("Only intensities in", self)
        self.range_on.setToolTip("Paint only where the shown modality lies in [low, high]")
        self.range_lo = QtWidgets.QDoubleSpinBox(self)
        self.range_hi = QtWidgets.QDoubleSpinBox(self)
        for box in (self.range_lo, self.range_hi):
            box.setRange(-1e9, 1e9)
            box.setDecimals(1)
        form.addWidget(self.range_on)
        form.addWidget(self._row(self.range_lo, QtWidgets.QLabel("–", self), self.range_hi))
        form.addWidget(self._row(self._button("edit.undo"), self._button("edit.redo")))
        return group

    def _cleanup_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Clean up", self)
        form = QtWidgets.QVBoxLayout(group)
        form.addWidget(self._row(self._button("tool.fill_holes", "Fill holes"),
                                 self._button("tool.fill_holes_3d", "Fill holes 3D")))
        self.island_size = QtWidgets.QSpinBox(self)
        self.island_size.setRange(1, 100000)
        self.island_size.setValue(20)
        self.island_size.setSuffix(" vox")
        self.island_size.setToolTip("Islands smaller than this are removed")
        form.addWidget(self._row(self._button("tool.remove_islands", "Remove islands <"),
                                 self.island_size))
        form.addWidget(self._button("tool.keep_largest", "Keep largest"))
        form.addWidget(self._button("tool.interpolate", "Interpolate (preview)"))
        form.addWidget(self._row(self._button("tool.apply_preview", "Apply"),
                                 self._button("tool.cancel_preview", "Discard")))
        return group

    def show_tool_options(self, tool: str) -> None:
        """Show the settings of ``tool`` (fill, grow, polygon) under the tool buttons.

        The brush's radius row gives way to them: the panel then still fits a 768 px screen.
        """
        self.options.show_for(tool)
        self.radius_row.setVisible(tool in ("navigate", "brush", "eraser"))

    def connect_changes(self, on_change: Callable[[], object]) -> None:
        """Call ``on_change`` whenever a brush setting widget changes."""
        self.target.currentIndexChanged.connect(lambda _i: on_change())
        self.radius.valueChanged.connect(lambda _v: on_change())
        self.paint_over.currentIndexChanged.connect(lambda _i: on_change())
        self.range_on.toggled.connect(lambda _b: on_change())
        self.range_lo.valueChanged.connect(lambda _v: on_change())
        self.range_hi.valueChanged.connect(lambda _v: on_change())
