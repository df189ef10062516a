"""The training form: fits a narrow column, says in tooltips what its short labels mean,
and still reads and writes every option."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6 import QtWidgets

from lrpstudio.core.train.config import BEST_METRICS, CLASS_BALANCE, TrainConfig
from lrpstudio.core.train.schedule import LR_SCHEDULES
from lrpstudio.core.xai.guidance import LOSS_FORMS
from lrpstudio.core.xai.relevance import SEEDS
from lrpstudio.gui.training.recipe_form import RECIPE_ROWS
from lrpstudio.gui.training.form import ROWS, TrainingForm


@pytest.mark.parametrize("width", [300, 380])
def test_the_form_fits_a_narrow_column_without_a_horizontal_scroll_bar(qtbot, width: int) -> None:
    scroll = QtWidgets.QScrollArea()
    qtbot.addWidget(scroll)
    form = TrainingForm()
    scroll.setWidgetResizable(True)
    scroll.setWidget(form)
    scroll.resize(width, 900)  # tall enough that no vertical bar takes width either
    scroll.show()
    qtbot.waitExposed(scroll)
    form.recipe.set_expanded(True)  # the recipe's rows must fit as well
    qtbot.wait(10)
    assert form.minimumSizeHint().width() <= width - 4
    assert not scroll.horizontalScrollBar().isVisible()
    for check in (form.flips, form.use_corrections):  # their text was cut off at the edge
        assert check.geometry().right() <= form.width(), check.text()
        assert check.sizeHint().width() <= check.width(), check.text()


def test_every_row_has_a_label_and_a_tooltip_saying_it_in_full(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    layout = form.rows
    assert isinstance(layout, QtWidgets.QFormLayout) and layout.rowCount() == len(ROWS)
    labels = [attribute for attribute, _label, _tip in ROWS]
    assert labels.index("device") < 6, "Device belongs near the top, where it is seen"
    for owner, rows in ((form, ROWS), (form.recipe, RECIPE_ROWS)):
        for attribute, label, tip in rows:
            widget = getattr(owner, attribute)
            assert owner.rows.labelForField(widget).text() == label
            assert widget.toolTip() == tip and owner.rows.labelForField(widget).toolTip() == tip
            assert len(tip) > len(label), f"{attribute}: the tooltip says more than the label"


def test_the_form_reads_back_what_it_is_given(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    base = TrainConfig()
    config = replace(base, epochs=7, batch_size=4, lr=3e-4, seed=11, pinned=3,
                     guidance=replace(base.guidance, kind="none", penalty=2.0, normalized=True,
                                      score_gradient="detached"))
    form.set_config(config)
    read = form.config()
    assert (read.epochs, read.batch_size, read.seed, read.pinned) == (7, 4, 11, 3)
    assert read.lr == pytest.approx(3e-4)
    assert read.guidance.kind == "none" and read.guidance.normalized
    assert read.guidance.score_gradient == "detached" and read.guidance.penalty == 2.0
    assert not form.penalty.isEnabled()  # no penalty without LRPLoss


def test_the_form_starts_at_the_cores_defaults(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    read, default = form.config(), TrainConfig()
    recipe = ("class_balance", "best_metric", "patience", "warmup_epochs", "warmup_min_accuracy",
              "ramp_epochs", "max_grad_norm", "lr_schedule", "forbidden_weight")
    assert {k: getattr(read, k) for k in recipe} == {k: getattr(default, k) for k in recipe}
    assert (read.guidance.form, read.guidance.seed) == (default.guidance.form, default.guidance.seed)
    # What `lrpstudio train` uses when nothing is given (the GUI once started at 5 epochs, the CLI at 10).
    plain = ("epochs", "batch_size", "lr", "seed", "model")
    assert {k: getattr(read, k) for k in plain} == {k: getattr(default, k) for k in plain}


def _other(values: tuple[str, ...] | list[str], default: str) -> str:
    """A choice that is not the default (the round trip must not pass by leaving it alone)."""
    return next(v for v in values if v != default)


def test_every_recipe_option_round_trips_through_the_form(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    d = TrainConfig()
    config = replace(
        d, class_balance=_other(CLASS_BALANCE, d.class_balance),
        best_metric=_other(list(BEST_METRICS), d.best_metric), patience=4, warmup_epochs=2,
        warmup_min_accuracy=0.75, ramp_epochs=3, max_grad_norm=d.max_grad_norm + 2.5,
        lr_schedule=_other(LR_SCHEDULES, d.lr_schedule), forbidden_weight=1.5,
        guidance=replace(d.guidance, form=_other(LOSS_FORMS, d.guidance.form),
                         seed=_other(SEEDS, d.guidance.seed)))
    form.set_config(config)
    read = form.config()
    for name in ("class_balance", "best_metric", "patience", "warmup_epochs", "warmup_min_accuracy",
                 "ramp_epochs", "lr_schedule"):
        assert getattr(read, name) == getattr(config, name), name
    assert read.max_grad_norm == pytest.approx(config.max_grad_norm)
    assert read.forbidden_weight == read.guidance.forbidden_weight == 1.5
    assert (read.guidance.form, read.guidance.seed) == (config.guidance.form, config.guidance.seed)
    # and through config.json, as a resume reads it back
    again = TrainConfig.from_dict(read.to_dict())
    form.set_config(TrainConfig())
    form.set_config(again)
    assert form.config() == read


@pytest.mark.parametrize("metric", list(BEST_METRICS))
def test_every_best_metric_can_be_chosen_and_has_words(qtbot, metric: str) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    box = form.recipe.best_metric
    box.setCurrentIndex(box.findData(metric))
    assert form.config().best_metric == metric
    assert "_" not in box.currentText(), "a researcher reads words, not keys"


def test_an_old_run_shows_what_it_did_not_todays_defaults(qtbot) -> None:
    """A run recorded before the recipe existed resumes with its legacy options."""
    form = TrainingForm()
    qtbot.addWidget(form)
    old = TrainConfig.from_dict({"epochs": 3, "guidance": {"kind": "lrp", "penalty": 1.0}})
    form.set_config(old)
    read = form.config()
    assert read.best_metric == old.best_metric == "f1_weighted"
    assert (read.class_balance, read.max_grad_norm) == (old.class_balance, old.max_grad_norm)


def test_options_that_do_not_apply_are_disabled(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    form.guidance.setCurrentIndex(form.guidance.findData("none"))
    assert not form.loss_form.isEnabled() and not form.recipe.warmup_epochs.isEnabled()
    assert not form.recipe.seed.isEnabled() and form.recipe.best_metric.isEnabled()
    form.guidance.setCurrentIndex(form.guidance.findData("rrr"))
    assert form.recipe.ramp_epochs.isEnabled() and not form.recipe.seed.isEnabled()
    form.guidance.setCurrentIndex(form.guidance.findData("lrp"))
    assert form.loss_form.isEnabled() and form.recipe.seed.isEnabled()


def test_the_folded_recipe_says_what_is_set(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    recipe = form.recipe
    assert not recipe.expanded and recipe.body.isHidden()
    recipe.warmup_epochs.setValue(3)  # not the default
    assert "warm-up 3" in recipe.toggle.text()
    recipe.toggle.click()
    assert recipe.expanded and not recipe.body.isHidden()


def test_the_folded_recipe_header_names_the_defaults(qtbot) -> None:
    form = TrainingForm()
    qtbot.addWidget(form)
    header = form.recipe.toggle.text()
    assert header == form.recipe.summary()
    assert form.recipe.best_metric.currentText() in header  # the default, not the first item
    assert form.recipe.best_metric.currentData() == TrainConfig().best_metric


def test_penalty_zero_is_recorded_as_plain_ce_as_the_cli_does(qtbot) -> None:
    from lrpstudio.cli.main import build_parser
    from lrpstudio.cli.train_cmd import _config
    from lrpstudio.gui.training.status import run_name

    form = TrainingForm()
    qtbot.addWidget(form)
    form.guidance.setCurrentIndex(form.guidance.findData("lrp"))
    form.penalty.setValue(0.0)
    read = form.config()
    cli = _config(build_parser().parse_args(["train", "data", "--out", "x", "--penalty", "0"]))
    assert (read.guidance.kind, read.guidance.penalty) == (cli.guidance.kind, cli.guidance.penalty) == ("none", 0.0)
    assert run_name(read).endswith("-paper-none")
    form.penalty.setValue(1.0)
    assert form.config().guidance.kind == "lrp"  # p > 0 stays LRPLoss


def test_the_artefact_penalty_field_is_found_by_name_and_reaches_the_config(qtbot) -> None:
    from PySide6 import QtWidgets

    form = TrainingForm()
    qtbot.addWidget(form)
    spin = form.findChild(QtWidgets.QDoubleSpinBox, "forbidden_weight")
    assert spin is not None and spin.value() == 0.0 and "artefact" in spin.toolTip().lower()
    assert form.config().forbidden_weight == 0.0
    spin.setValue(2.0)
    assert form.config().forbidden_weight == 2.0 and form.config().guidance.forbidden_weight == 2.0
    assert "artefact penalty 2" in form.recipe.summary()
