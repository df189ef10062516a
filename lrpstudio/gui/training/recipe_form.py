"""The training recipe: the options that decide how a run learns, in a collapsible section.

Class balance, the warm start and ramp of the guidance, gradient clipping, the
learning-rate schedule, early stopping, the best-epoch metric, the relevance seed
of the score and the artefact penalty (relevance inside regions the review marked).
Most users keep the defaults, so the section starts folded and its header
says what is set; every field says in its tooltip what it does. The choices offered are
the core's (:data:`~lrpstudio.core.train.config.BEST_METRICS` and friends) and the
defaults come from :class:`TrainConfig`, so a new core value shows up here by itself.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.options import BEST_METRICS, CLASS_BALANCE, LR_SCHEDULES, SEEDS, TrainConfig

#: Words for the core's option values (a value missing here is shown as it is).
BEST_METRIC_NAMES = {
    "balanced_accuracy": "balanced accuracy", "f1_macro": "macro F1", "f1_weighted": "weighted F1",
    "accuracy": "accuracy", "total": "lowest val. loss", "ce": "lowest val. CE"}
BALANCE_NAMES = {"weights": "class-weighted CE", "none": "none"}
SCHEDULE_NAMES = {"constant": "constant", "cosine": "cosine decay"}
SEED_NAMES = {"label": "true-label logit", "contrast": "margin over other"}

#: (attribute, label, tooltip) of the section's rows.
RECIPE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("class_balance", "Balance",
     "Class-weighted CE: each slice's cross-entropy is weighted by N / (2 × slices of its grade) "
     "in the training split, so LGG and HGG count alike however many slices each has. "
     "None: every slice counts the same, and the majority grade dominates."),
    ("best_metric", "Best epoch",
     "Validation metric that chooses the saved best model (best.pt) and drives early stopping. "
     "Default: the validation loss of the run's own objective (CE, or CE + p·(1 − S)). An epoch "
     "whose model calls ≥ 95 % of the slices one grade is never chosen over one that does not. "
     "Balanced accuracy rewards a shortcut the validation data still carries; weighted F1 and "
     "accuracy can look good for a model that calls every slice one grade."),
    ("patience", "Patience",
     "Stop early when the best-epoch metric has not improved for this many epochs "
     "(never: train every epoch)."),
    ("warmup_epochs", "Warm-up",
     "Epochs of plain cross-entropy before the guidance term is switched on, so the network "
     "first learns features the guidance can then move into the tumour."),
    ("warmup_min_accuracy", "Warm until",
     "After the warm-up epochs, stay on plain cross-entropy until an epoch's training balanced "
     "accuracy reaches this value, for at most half the run: guidance switched on before the "
     "network separates the grades can freeze it at a constant output (off: a fixed warm-up)."),
    ("ramp_epochs", "Ramp",
     "After the warm-up, epochs over which the penalty (or RRR weight) rises linearly to its "
     "full value (0: at once)."),
    ("max_grad_norm", "Clip grad",
     "Largest gradient norm of an optimiser step; larger gradients are scaled down to it, so a "
     "slice with a tiny tumour score cannot throw the weights off (off: no clipping)."),
    ("lr_schedule", "LR schedule",
     "Constant learning rate, or cosine decay from the learning rate towards 0 over the epochs."),
    ("seed", "Score of",
     "Which output the tumour score S explains: the true grade's logit (the paper), or its "
     "margin over the other grade (contrastive: relevance for 'this grade rather than the other')."),
    ("forbidden_weight", "Artefact penalty",
     "Weight of the artefact penalty (off: 0). Cases whose review marked a region as an artefact "
     "or shortcut carry it on their slices; each such slice's loss grows by this weight times the "
     "share of its positive relevance inside the region, so the network learns not to look there. "
     "With RRR it penalises the input gradient inside the region instead. Cases without a marked "
     "region are unaffected. Recorded in the run's config.json."),
)
FIELD_MIN_CHARS = 8  # as the main form: a combo box asks for this many characters, not its longest item


def _combo(parent: QtWidgets.QWidget, keys: tuple[str, ...] | list[str],
           names: dict[str, str]) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox(parent)
    for key in keys:
        box.addItem(names.get(key, key), key)
    box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(FIELD_MIN_CHARS)
    return box


def select_key(box: QtWidgets.QComboBox, key: str) -> None:
    """Select ``key``; a value this build does not list is added rather than lost."""
    index = box.findData(key)
    if index < 0:
        box.addItem(key, key)
        index = box.count() - 1
    box.setCurrentIndex(index)


class RecipeForm(QtWidgets.QWidget):
    """The recipe options under a header that folds them away.

    Signals
    -------
    changed()
        Any option changed (the header's summary follows).
    expanded_changed(bool)
        The rows were unfolded (True) or folded.
    """

    changed = QtCore.Signal()
    expanded_changed = QtCore.Signal(bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        d = TrainConfig()
        self.class_balance = _combo(self, CLASS_BALANCE, BALANCE_NAMES)
        self.best_metric = _combo(self, list(BEST_METRICS), BEST_METRIC_NAMES)
        self.patience = self._int(0, 1000, " epochs", "never")
        self.warmup_epochs = self._int(0, 1000, " epochs", "none")
        self.warmup_min_accuracy = QtWidgets.QDoubleSpinBox(self)
        self.warmup_min_accuracy.setRange(0.0, 1.0)
        self.warmup_min_accuracy.setDecimals(2)
        self.warmup_min_accuracy.setSingleStep(0.05)
        self.warmup_min_accuracy.setPrefix("train bal. acc. ")
        self.warmup_min_accuracy.setSpecialValueText("off")
        self.ramp_epochs = self._int(0, 1000, " epochs", "none")
        self.max_grad_norm = QtWidgets.QDoubleSpinBox(self)
        self.max_grad_norm.setRange(0.0, 1000.0)
        self.max_grad_norm.setDecimals(2)
        self.max_grad_norm.setSingleStep(0.5)
        self.max_grad_norm.setSpecialValueText("off")
        self.lr_schedule = _combo(self, LR_SCHEDULES, SCHEDULE_NAMES)
        self.seed = _combo(self, SEEDS, SEED_NAMES)
        self.forbidden_weight = QtWidgets.QDoubleSpinBox(self)
        self.forbidden_weight.setObjectName("forbidden_weight")
        self.forbidden_weight.setRange(0.0, 100.0)
        self.forbidden_weight.setDecimals(2)
        self.forbidden_weight.setSingleStep(0.5)
        self.forbidden_weight.setSpecialValueText("off")
        self._build()
        self.set_config(d)
        for box in (self.class_balance, self.best_metric, self.lr_schedule, self.seed):
            box.currentIndexChanged.connect(lambda _i: self._changed())
        for spin in (self.patience, self.warmup_epochs, self.warmup_min_accuracy, self.ramp_epochs,
                     self.max_grad_norm, self.forbidden_weight):
            spin.valueChanged.connect(lambda _v: self._changed())

    def _int(self, low: int, high: int, suffix: str, zero: str) -> QtWidgets.QSpinBox:
        box = QtWidgets.QSpinBox(self)
        box.setRange(low, high)
        box.setSuffix(suffix)
        box.setSpecialValueText(zero)  # shown at the minimum, 0: says what 0 means
        return box

    def _build(self) -> None:
        self.toggle = QtWidgets.QToolButton(self)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(QtCore.Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolTip("Show or hide the recipe: class balance, best-epoch metric, early "
                               "stopping, warm-up and ramp of the guidance, clipping, schedule")
        # The summary may be longer than a narrow column: it wraps instead of widening it.
        self.toggle.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                  QtWidgets.QSizePolicy.Policy.Fixed)
        self.body = QtWidgets.QWidget(self)
        form = QtWidgets.QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(3)
        for attribute, label, tip in RECIPE_ROWS:
            widget = getattr(self, attribute)
            widget.setToolTip(tip)
            form.addRow(label, widget)
            form.labelForField(widget).setToolTip(tip)
        self.rows = form
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self.set_expanded)
        self.set_expanded(False)

    def set_expanded(self, on: bool) -> None:
        """Unfold (True) or fold the recipe's rows."""
        self.toggle.blockSignals(True)
        self.toggle.setChecked(on)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(QtCore.Qt.ArrowType.DownArrow if on else QtCore.Qt.ArrowType.RightArrow)
        self.body.setVisible(on)
        self._changed()
        self.expanded_changed.emit(bool(on))

    @property
    def expanded(self) -> bool:
        """Whether the rows are shown."""
        return self.toggle.isChecked()

    def summary(self) -> str:
        """The header: 'Recipe' and, folded, what is set (e.g. weighted CE, best bal. acc.)."""
        if self.expanded:
            return "Recipe"
        parts = [self.class_balance.currentText(), f"best: {self.best_metric.currentText()}"]
        if self.warmup_epochs.value() or self.ramp_epochs.value():
            parts.append(f"warm-up {self.warmup_epochs.value()} + ramp {self.ramp_epochs.value()}")
        if self.patience.value():
            parts.append(f"patience {self.patience.value()}")
        if self.forbidden_weight.value():
            parts.append(f"artefact penalty {self.forbidden_weight.value():g}")
        return "Recipe: " + ", ".join(parts)

    def _changed(self) -> None:
        self.toggle.setText(self.summary())
        self.changed.emit()

    def set_guided(self, guided: bool, lrp: bool) -> None:
        """Enable what applies: warm-up and ramp to any guidance, the score's seed to LRPLoss."""
        self.warmup_epochs.setEnabled(guided)
        self.warmup_min_accuracy.setEnabled(guided)
        self.ramp_epochs.setEnabled(guided)
        self.seed.setEnabled(lrp)

    def apply(self, config: TrainConfig) -> TrainConfig:
        """``config`` with the recipe's options from the form."""
        guidance = replace(config.guidance, seed=self.seed.currentData())
        return replace(
            config, guidance=guidance, class_balance=self.class_balance.currentData(),
            best_metric=self.best_metric.currentData(), patience=self.patience.value(),
            warmup_epochs=self.warmup_epochs.value(),
            warmup_min_accuracy=round(float(self.warmup_min_accuracy.value()), 2),
            ramp_epochs=self.ramp_epochs.value(),
            max_grad_norm=float(self.max_grad_norm.value()), lr_schedule=self.lr_schedule.currentData(),
            forbidden_weight=round(float(self.forbidden_weight.value()), 2))

    def set_config(self, config: TrainConfig) -> None:
        """Show ``config``'s recipe (a new form, or a saved run being resumed)."""
        select_key(self.class_balance, config.class_balance)
        select_key(self.best_metric, config.best_metric)
        select_key(self.lr_schedule, config.lr_schedule)
        select_key(self.seed, config.guidance.seed)
        self.patience.setValue(int(config.patience))
        self.warmup_epochs.setValue(int(config.warmup_epochs))
        self.warmup_min_accuracy.setValue(float(config.warmup_min_accuracy))
        self.ramp_epochs.setValue(int(config.ramp_epochs))
        self.max_grad_norm.setValue(float(config.max_grad_norm))
        self.forbidden_weight.setValue(float(config.forbidden_weight))
        # the folded header shows what is set now (at start-up the header was written
        # before the defaults were, and named the combo boxes' first items)
        self.toggle.setText(self.summary())
