"""The relevance layer's settings, shown in the Explain dock under its run picker.

The layer explains with the run chosen there; here: on/off (also the window's key),
the LRP composite (the run's own by default), the sign, the opacity and whether the
whole tumour-bearing range is explained (then the coronal and sagittal views show it).
"""

from __future__ import annotations

from PySide6 import QtWidgets

from lrpstudio.app.relevance_layer import COMPOSITES
from lrpstudio.gui.viewer.relevance_layer import RelevanceLayer

#: Sign choices: (label, value of :data:`lrpstudio.app.relevance_layer.SIGNS`).
SIGN_CHOICES: tuple[tuple[str, str], ...] = (("positive only", "positive"), ("both signs", "both"))


class RelevanceControls(QtWidgets.QGroupBox):
    """Settings of one :class:`RelevanceLayer`, driven by a run combo box.

    Parameters
    ----------
    layer
        The layer.
    run_box
        The combo box whose current data is the run folder (the Explain dock's).
    key
        The on/off key, shown in the check box's text.
    """

    def __init__(self, layer: RelevanceLayer, run_box: QtWidgets.QComboBox, key: str = "",
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Relevance layer", parent)
        self.layer, self.run_box = layer, run_box
        self.show_layer = QtWidgets.QCheckBox(f"Show in the viewer ({key})" if key else "Show in the viewer")
        self.show_layer.setObjectName("relevance_on")
        self.composite = QtWidgets.QComboBox()
        self.composite.addItem("the run's own", None)
        for name in COMPOSITES:
            self.composite.addItem(name, name)
        self.sign = QtWidgets.QComboBox()
        for label, value in SIGN_CHOICES:
            self.sign.addItem(label, value)
        self.opacity = QtWidgets.QSlider()
        self.opacity.setOrientation(self.opacity.orientation().Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(int(round(layer.opacity * 100)))
        self.composite.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.composite.setMinimumContentsLength(10)  # the dock stays narrow; the list shows full names
        self.all_slices = QtWidgets.QCheckBox("all tumour slices")
        self.all_slices.setToolTip("Explain every axial slice that holds tumour, so the coronal and "
                                   "sagittal views show the layer as well (takes a few seconds)")
        form = QtWidgets.QFormLayout(self)
        form.addRow(self.show_layer)
        form.addRow("Composite", self.composite)
        form.addRow("Sign", self.sign)
        form.addRow("Opacity", self.opacity)
        form.addRow(self.all_slices)
        self._connect()

    def _connect(self) -> None:
        layer = self.layer
        self.show_layer.toggled.connect(layer.set_enabled)
        self.composite.currentIndexChanged.connect(lambda _i: layer.set_composite(self.composite.currentData()))
        self.sign.currentIndexChanged.connect(lambda _i: layer.set_sign(self.sign.currentData()))
        self.opacity.valueChanged.connect(lambda v: layer.set_opacity(v / 100.0))
        self.all_slices.toggled.connect(layer.set_all_slices)
        self.run_box.currentIndexChanged.connect(lambda _i: layer.set_run(self.run_box.currentData()))
        layer.changed.connect(self._sync)
        layer.set_run(self.run_box.currentData())

    def _sync(self) -> None:
        """Keep the check box in step when the key toggles the layer."""
        if self.show_layer.isChecked() != self.layer.enabled:
            self.show_layer.blockSignals(True)
            self.show_layer.setChecked(self.layer.enabled)
            self.show_layer.blockSignals(False)
