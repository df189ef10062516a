"""The training options form: every :class:`TrainConfig` choice a user makes, with defaults.

The form only builds and reads frozen configs; it starts nothing. Defaults are the
core's defaults, except a shorter default run for a desktop session. The recipe (class
balance, best-epoch metric, early stopping, warm-up, ramp, clipping, schedule, the
score's seed) sits below the main rows in a folding section
(:class:`~lrpstudio.gui.training.recipe_form.RecipeForm`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from PySide6 import QtWidgets

from lrpstudio.app.options import (
    COMPOSITES, DEFAULT_COMPOSITE, LOSS_FORMS, AugmentConfig, GuidanceConfig, TrainConfig, guidance_kind,
    model_names,
)
from lrpstudio.gui.training.recipe_form import RecipeForm, select_key

GUIDANCE_CHOICES: tuple[tuple[str, str], ...] = (
    ("lrp", "LRPLoss (tumour score S)"), ("none", "Cross-entropy"), ("rrr", "RRR (input gradients)"),
)
#: Words for the LRPLoss forms (a form missing here is shown by its name).
FORM_NAMES = {"ratio": "CE / S^p (paper)", "additive": "CE + p·(1 − S)"}
SCORE_VARIANTS: tuple[tuple[str, str], ...] = (
    ("plain", "plain (paper)"), ("normalized", "area-normalised"),
)


@dataclass(frozen=True)
class DataOptions:
    """How the slice dataset is built for a run.

    Attributes
    ----------
    image_size
        Side of the slices in pixels (used when a BraTS folder is prepared).
    use_corrections
        Use the masks corrected in the viewer where they exist.
    """

    image_size: int = 128
    use_corrections: bool = True


def available_devices() -> list[str]:
    """``cpu`` and every CUDA device torch sees."""
    return ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]


#: (label, tooltip) of each row, by attribute; the labels are short so that the form fits
#: a narrow column, the tooltips say it in full. The order puts what is changed most on top.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("model", "Model", "Network architecture"),
    ("guidance", "Loss", "Guidance loss: LRPLoss rewards relevance inside the tumour"),
    ("penalty", "Penalty p", "Strength p of the LRPLoss guidance: the power in CE / S^p, or the weight "
                             "of 1 − S in the additive form (0: plain cross-entropy)"),
    ("loss_form", "Form", "How the tumour score S enters the loss. CE / S^p (the paper): a higher S "
                     "shrinks the loss, which a model can also reach by raising S alone. "
                     "CE + p·(1 − S) (additive, ISNet-style): the classification term is never "
                     "scaled down, so S cannot pay for wrong grades"),
    ("epochs", "Epochs", "Number of epochs (on resume: the new total)"),
    ("device", "Device", "Where the network trains: cpu or a CUDA GPU"),
    ("batch_size", "Batch size", "Slices per optimiser step"),
    ("lr", "Learn. rate", "Learning rate (Adam)"),
    ("score", "Score", "TumorLRPScore variant: plain sums (paper) or area-normalised"),
    ("gradient", "Gradient", "How the loss differentiates the score S: through S (lrpstudio), "
                             "or with S detached as in the authors' code (ablation)"),
    ("composite", "Composite", "LRP composite (rule set) used for the score and the heatmaps"),
    ("rotation", "Rotation ±°", "Random rotation of the training slices, in degrees either way"),
    ("flips", "Flips", "Random horizontal and vertical flips of the training slices"),
    ("seed", "Seed", "Random seed (splits, initial weights, augmentation)"),
    ("pinned", "Pinned", "Slices whose heatmaps are drawn every epoch (Fig. 7)"),
    ("image_size", "Image px", "Side of the slices in pixels when a BraTS folder is prepared"),
    ("use_corrections", "Masks", "Use the masks corrected in the viewer where they exist "
                                 "(otherwise the original segmentations)"),
)
FIELD_MIN_CHARS = 8  # a combo box asks for this many characters, not its longest item


class TrainingForm(QtWidgets.QWidget):
    """A form with one field per training option."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        d = TrainConfig()
        self.model = self._combo([(name, name) for name in model_names()])
        self.guidance = self._combo(list(GUIDANCE_CHOICES))
        self.penalty = self._double(0.0, 3.0, 0.5, d.guidance.penalty, 2)
        self.loss_form = self._combo([(key, FORM_NAMES.get(key, key)) for key in LOSS_FORMS])
        select_key(self.loss_form, d.guidance.form)
        self.score = self._combo(list(SCORE_VARIANTS))
        self.gradient = self._combo([("full", "through S"), ("detached", "detached S (ablation)")])
        self.composite = self._combo([(name, name) for name in COMPOSITES])
        self.composite.setCurrentText(DEFAULT_COMPOSITE)
        self.epochs = self._int(1, 1000, d.epochs)  # as `lrpstudio train`: one rule, in core
        self.lr = self._double(1e-6, 1.0, 1e-4, d.lr, 6)
        self.batch_size = self._int(1, 1024, d.batch_size)
        self.rotation = self._double(0.0, 180.0, 5.0, d.augmentation.rotation, 1)
        self.flips = QtWidgets.QCheckBox("horizontal + vertical", self)
        self.flips.setChecked(d.augmentation.hflip)
        self.seed = self._int(0, 2**31 - 1, d.seed)
        self.pinned = self._int(0, 32, 6)  # not core's 8: six Fig. 7 columns fit a 1366 px window
        self.image_size = self._int(32, 512, DataOptions().image_size)
        self.image_size.setSingleStep(16)
        self.use_corrections = QtWidgets.QCheckBox("corrected in viewer", self)
        self.use_corrections.setChecked(True)
        self.device = self._combo([(name, name) for name in available_devices()])
        self.recipe = RecipeForm(self)
        self._lay_out()
        self.guidance.currentIndexChanged.connect(self._sync)
        self._sync()

    def _lay_out(self) -> None:
        column = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        column.addLayout(form)
        column.addWidget(self.recipe)
        column.addStretch(1)
        self.rows = form
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(3)  # every row counts: the Device row must show without scrolling
        for attribute, label, tip in ROWS:
            widget = getattr(self, attribute)
            widget.setToolTip(tip)
            form.addRow(label, widget)
            form.labelForField(widget).setToolTip(tip)

    def _combo(self, items: list[tuple[str, str]]) -> QtWidgets.QComboBox:
        box = QtWidgets.QComboBox(self)
        for key, text in items:
            box.addItem(text, key)
        # Size by a few characters, not by the longest item (which set the column's width).
        box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(FIELD_MIN_CHARS)
        return box

    def _int(self, low: int, high: int, value: int) -> QtWidgets.QSpinBox:
        box = QtWidgets.QSpinBox(self)
        box.setRange(low, high)
        box.setValue(value)
        return box

    def _double(self, low: float, high: float, step: float, value: float,
                decimals: int) -> QtWidgets.QDoubleSpinBox:
        box = QtWidgets.QDoubleSpinBox(self)
        box.setDecimals(decimals)
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setValue(value)
        return box

    def _sync(self) -> None:
        kind = self.guidance.currentData()
        for widget in (self.penalty, self.gradient, self.loss_form):
            widget.setEnabled(kind == "lrp")
        self.recipe.set_guided(kind != "none", kind == "lrp")

    def config(self) -> TrainConfig:
        """The :class:`TrainConfig` the form describes."""
        guidance = GuidanceConfig(
            kind=guidance_kind(self.guidance.currentData(), float(self.penalty.value())),
            penalty=float(self.penalty.value()),
            form=self.loss_form.currentData(), composite=self.composite.currentText(),
            normalized=self.score.currentData() == "normalized", score_gradient=self.gradient.currentData())
        flips = self.flips.isChecked()
        return self.recipe.apply(TrainConfig(
            model=self.model.currentText(), guidance=guidance, epochs=self.epochs.value(),
            batch_size=self.batch_size.value(), lr=float(self.lr.value()),
            augmentation=AugmentConfig(rotation=float(self.rotation.value()), hflip=flips, vflip=flips),
            seed=self.seed.value(), device=self.device.currentText(), pinned=self.pinned.value()))

    def data_options(self) -> DataOptions:
        """How the dataset is prepared for the run."""
        return DataOptions(image_size=self.image_size.value(),
                           use_corrections=self.use_corrections.isChecked())

    def set_config(self, config: TrainConfig) -> None:
        """Show a saved run's settings (for resuming it)."""
        g = config.guidance
        self.model.setCurrentText(config.model)
        self.guidance.setCurrentIndex(max(0, self.guidance.findData(g.kind)))
        self.penalty.setValue(g.penalty)
        select_key(self.loss_form, g.form)
        self.score.setCurrentIndex(1 if g.normalized else 0)
        self.gradient.setCurrentIndex(max(0, self.gradient.findData(g.score_gradient)))
        self.composite.setCurrentText(g.composite)
        self.epochs.setValue(config.epochs)
        self.lr.setValue(config.lr)
        self.batch_size.setValue(config.batch_size)
        self.rotation.setValue(config.augmentation.rotation)
        self.flips.setChecked(config.augmentation.hflip)
        self.seed.setValue(config.seed)
        self.pinned.setValue(config.pinned)
        if config.image_size:
            self.image_size.setValue(config.image_size)
        self.recipe.set_config(config)
