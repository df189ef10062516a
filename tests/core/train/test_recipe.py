"""The training recipe that keeps the classifier: class weights, schedules, clipping,
early stopping, the collapse guard and the configs of older runs."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from lrpstudio.core.train.config import LEGACY_DEFAULTS, TrainConfig
from lrpstudio.core.train.engine import class_weights, fit
from lrpstudio.core.train.metrics import classification_metrics, collapse_message, confusion_matrix
from lrpstudio.core.train.schedule import guidance_factor, guidance_for_epoch, lr_for_epoch, warm_epochs
from lrpstudio.core.train.step import clip_gradients
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_step
from tests.core.train.factory import tiny_dataset
from tests.core.xai.nets import batch, tiny_paper


def test_class_weights_give_each_class_half_the_loss() -> None:
    labels = np.array([0] * 30 + [1] * 10)
    w = class_weights(labels, torch.device("cpu")).numpy()
    assert w == pytest.approx([40 / 60, 40 / 20])
    assert (w[labels]).sum() == pytest.approx(len(labels))  # total weight unchanged
    assert w[0] * 30 == pytest.approx(w[1] * 10)             # each class the same share
    assert class_weights(np.zeros(5, int), torch.device("cpu")).numpy() == pytest.approx([1.0, 1.0])


def test_guidance_factor_warm_start_and_ramp() -> None:
    assert [guidance_factor(e, 2, 0) for e in range(1, 5)] == [0, 0, 1, 1]
    assert [guidance_factor(e, 1, 4) for e in range(1, 7)] == [0, 0.25, 0.5, 0.75, 1, 1]
    assert [guidance_factor(e, 0, 0) for e in range(1, 3)] == [1, 1]
    g = GuidanceConfig(penalty=2.0)
    assert guidance_for_epoch(g, 1, 1, 2).penalty == 0.0
    assert guidance_for_epoch(g, 2, 1, 2).penalty == 1.0
    assert guidance_for_epoch(g, 3, 1, 2) is g
    rrr = GuidanceConfig(kind="rrr", rrr_weight=4.0)
    assert guidance_for_epoch(rrr, 2, 0, 4).rrr_weight == 2.0


def test_warm_epochs_wait_for_the_training_accuracy() -> None:
    # plain CE began to learn only in epoch 4 (0.81): the guidance starts in epoch 5
    late = [0.51, 0.56, 0.57, 0.81, 0.91, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert [warm_epochs(e, late[:e - 1], 2, 0.6, 12) for e in range(1, 13)] == [1, 2, 3] + [4] * 9
    assert [guidance_factor(e, warm_epochs(e, late[:e - 1], 2, 0.6, 12), 0)
            for e in range(1, 7)] == [0, 0, 0, 0, 1, 1]
    # learning by epoch 2: the warm start is the fixed two epochs
    early = [0.51, 0.63, 0.88]
    assert [warm_epochs(e, early[:e - 1], 2, 0.6, 12) for e in range(1, 5)] == [1, 2, 2, 2]
    # never learning: at most half the run
    flat = [0.5] * 12
    assert warm_epochs(12, flat[:11], 2, 0.6, 12) == 6
    # a fixed warm start, and guidance from the first step, ignore the accuracy
    assert warm_epochs(5, flat[:4], 2, 0.0, 12) == 2
    assert warm_epochs(1, [], 0, 0.6, 12) == 0


def test_lr_schedule() -> None:
    assert lr_for_epoch(1e-3, 5, 10, "constant") == 1e-3
    cosine = [lr_for_epoch(1.0, e, 4, "cosine") for e in range(1, 5)]
    assert cosine[0] == 1.0 and all(a > b for a, b in zip(cosine, cosine[1:])) and cosine[-1] > 0
    assert cosine[2] == pytest.approx(0.5 * (1 + math.cos(math.pi * 2 / 4)))


def test_clip_gradients_scales_to_the_bound() -> None:
    p = torch.nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([3.0, 4.0, 0.0])
    clip_gradients([p], 5.0, 1.0)
    assert float(p.grad.norm()) == pytest.approx(1.0, rel=1e-5)
    clip_gradients([p], 1.0, 2.0)  # under the bound: untouched
    assert float(p.grad.norm()) == pytest.approx(1.0, rel=1e-5)


def test_balanced_metrics_do_not_reward_a_one_class_model() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    m = classification_metrics(confusion_matrix(labels, np.zeros(100, int)))
    assert m["accuracy"] == 0.9 and m["f1_weighted"] > 0.85   # what used to pick best.pt
    assert m["balanced_accuracy"] == 0.5 and m["f1_macro"] < 0.5
    assert m["predicted_hgg"] == 0.0
    assert collapse_message(m["predicted_hgg"]) == "predicts LGG for every validation slice"
    assert collapse_message(0.97) == "predicts HGG for 97% of validation slices"
    assert collapse_message(0.9) is None and collapse_message(float("nan")) is None


def test_weights_scale_the_ce_term_exactly() -> None:
    model = tiny_paper(seed=3)
    x, y, tumor, brain = batch(n=4, size=16, seed=4)
    plain = GuidanceConfig(kind="none", monitor_score=False)
    ce = guidance_step(model, x, y, tumor, brain, plain).ce
    w = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=x.dtype)
    weighted = guidance_step(model, x, y, tumor, brain, plain, w)
    assert float(weighted.loss.detach()) == pytest.approx(float((ce * w).mean()), rel=1e-10)


def test_additive_form_is_ce_plus_weighted_one_minus_score() -> None:
    model = tiny_paper(seed=5)
    x, y, tumor, brain = batch(n=3, size=16, seed=11)  # slice 3 has no tumour
    config = GuidanceConfig(penalty=0.7, form="additive", score_gradient="detached")
    out = guidance_step(model, x, y, tumor, brain, config)
    s = torch.nan_to_num(out.scores, nan=1.0)
    assert float(out.loss.detach()) == pytest.approx(float((out.ce + 0.7 * (1 - s)).mean()), rel=1e-10)


def test_contrast_seed_explains_the_margin() -> None:
    from lrpstudio.core.xai.relevance import forward_with_relevance, output_seed

    assert output_seed(torch.tensor([1, 0]), 2, torch.float64, "contrast").tolist() == [[-1, 1], [1, -1]]
    model = tiny_paper(seed=6)
    x, y, _, _ = batch(n=2, size=16, seed=1)
    _, label = forward_with_relevance(model, x, y, "epsilon", seed="label")
    _, other = forward_with_relevance(model, x, 1 - y, "epsilon", seed="label")
    _, contrast = forward_with_relevance(model, x, y, "epsilon", seed="contrast")
    # Rules that are linear in the relevance (epsilon): margin relevance = difference.
    assert torch.allclose(contrast, label - other, atol=1e-10)


def test_degenerate_run_is_named_a_collapse(tmp_path) -> None:
    """Only LGG slices to learn from: the model predicts LGG for everything, and says so."""
    data = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    labels = data.labels.copy()
    labels[data.split == "train"] = 0
    data = dataclasses.replace(data, labels=labels)
    config = TrainConfig(epochs=2, batch_size=4, lr=1e-2, guidance=GuidanceConfig(kind="none"),
                         pinned=0)
    lines: list[str] = []
    from lrpstudio.core.train.engine import TrainCallbacks

    result = fit(config, data, TrainCallbacks(on_log=lines.append), run_dir=tmp_path / "run")
    assert result.history[-1]["val_predicted_hgg"] == 0.0
    assert any("the model predicts LGG for every validation slice" in line for line in lines)
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert any(e.get("event") == "collapse" for e in events)


def test_early_stopping_ends_the_run(tmp_path) -> None:
    data = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    config = TrainConfig(epochs=6, batch_size=8, lr=1e-9, guidance=GuidanceConfig(kind="none"),
                         pinned=0, patience=1, best_metric="ce")
    result = fit(config, data, run_dir=tmp_path / "run")
    assert result.status == "finished" and result.epochs_done < 6
    assert result.epochs_done - result.best_epoch == 1


def test_configs_of_older_runs_keep_what_they_did() -> None:
    old = TrainConfig().to_dict()
    for key in LEGACY_DEFAULTS:
        old.pop(key)
    old["guidance"].pop("form")
    old["guidance"].pop("seed")
    config = TrainConfig.from_dict(old)
    assert config.best_metric == "f1_weighted" and config.class_balance == "none"
    assert config.max_grad_norm == 0.0 and config.guidance.form == "ratio"
    assert config.guidance.seed == "label" and config.warmup_min_accuracy == 0.0
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()


@pytest.mark.parametrize("field, value", [("class_balance", "sampler"), ("lr_schedule", "step"),
                                          ("warmup_epochs", -1), ("max_grad_norm", -1.0),
                                          ("warmup_min_accuracy", 1.5)])
def test_bad_recipe_options_are_input_errors(field: str, value: object) -> None:
    from lrpstudio.core.errors import InputError

    with pytest.raises(InputError):
        TrainConfig(**{field: value})


def test_warm_start_trains_plain_ce_first_and_says_so(tmp_path) -> None:
    from lrpstudio.core.train.engine import TrainCallbacks

    data = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    config = TrainConfig(epochs=3, batch_size=8, pinned=0, warmup_epochs=1, ramp_epochs=2,
                         warmup_min_accuracy=0.0, guidance=GuidanceConfig(penalty=1.0))
    lines: list[str] = []
    result = fit(config, data, TrainCallbacks(on_log=lines.append), run_dir=tmp_path / "run")
    assert "epoch 1: plain CE (warm start before the guidance)" in lines
    assert "epoch 2: guidance at 50% of its weight (ramp)" in lines
    guidance = [row["train_guidance"] for row in result.history]
    assert guidance[0] == pytest.approx(0.0, abs=1e-12) and guidance[1] > 0 and guidance[2] > 0


def test_the_warm_start_waits_for_the_classifier_and_says_why(tmp_path) -> None:
    from lrpstudio.core.train.engine import TrainCallbacks

    data = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    # an accuracy no tiny run reaches: the warm start lasts its longest, half the run
    config = TrainConfig(epochs=5, batch_size=8, pinned=0, warmup_epochs=1, warmup_min_accuracy=1.0,
                         guidance=GuidanceConfig(penalty=1.0))
    lines: list[str] = []
    result = fit(config, data, TrainCallbacks(on_log=lines.append), run_dir=tmp_path / "run")
    assert result.history[0]["train_balanced_accuracy"] < 1.0
    assert "epoch 1: plain CE (warm start before the guidance)" in lines
    assert ("epoch 2: plain CE (warm start goes on: training balanced accuracy below 1.00)"
            in lines)
    guidance = [row["train_guidance"] for row in result.history]
    assert guidance[0] == guidance[1] == pytest.approx(0.0, abs=1e-12)
    assert all(g > 0 for g in guidance[2:])
    # the recorded config carries the option, so a resume continues on the same schedule
    assert TrainConfig.from_dict(config.to_dict()).warmup_min_accuracy == 1.0


def test_a_collapsed_epoch_is_never_preferred_to_a_working_one() -> None:
    from lrpstudio.core.train.session import Session

    def row(epoch: int, total: float, predicted_hgg: float) -> dict[str, float]:
        return {"epoch": float(epoch), "val_total": total, "val_predicted_hgg": predicted_hgg}

    model = torch.nn.Linear(1, 2)
    session = Session(TrainConfig(best_metric="total"), model, torch.optim.SGD(model.parameters(), lr=0.1),
                      torch.Generator(), torch.device("cpu"))
    for r, expected in ((row(1, 0.9, 0.0), True),    # first epoch: best, though collapsed
                        (row(2, 0.95, 0.5), True),   # works: beats the collapsed one despite its loss
                        (row(3, 0.2, 1.0), False),   # lowest loss, but HGG for every slice
                        (row(4, 0.8, 0.4), True),    # the better working epoch
                        (row(5, 0.85, 0.45), False)):
        session.history.append(r)
        assert session.consider_best(r) is expected, r
    assert session.best_epoch == 4
    # Readers of a run folder (the Runs table) replay the same rule over metrics.csv.
    from lrpstudio.core.train.best_epoch import best_row

    assert best_row(session.history, "total")["epoch"] == 4
