"""`lrpstudio train`, `evaluate`, `explain`, `experiment` end to end on a tiny saved dataset."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest

from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import save_dataset
from lrpstudio.core.train.run_folder import RunFolder
from tests.core.train.factory import tiny_dataset

QUICK = ["--epochs", "1", "--batch-size", "8", "--pinned", "2", "--seed", "2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=64),
                        tmp_path_factory.mktemp("cli") / "dataset")


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", str(data), "--out", str(run), "--penalty", "1", *QUICK]) == 0
    return run


def test_train_writes_a_run_and_resume_extends_it(trained, data, capsys) -> None:
    assert RunFolder(trained).checkpoint("best").is_file()
    assert len(RunFolder(trained).read_metrics()) == 1
    assert main(["train", str(data), "--resume", str(trained), "--epochs", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "finished" and summary["epochs_done"] == 2
    assert len(RunFolder(trained).read_metrics()) == 2


def test_evaluate_json_has_the_documented_keys(trained, data, capsys) -> None:
    assert main(["evaluate", str(trained), "--data", str(data), "--split", "all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "f1_weighted", "sensitivity", "specificity", "score_lgg", "score_hgg"):
        assert isinstance(result[key], float), key
    assert result["split"] == "all" and result["slices"] == 24


def test_bad_inputs_exit_2_with_one_line_naming_the_file(trained, tmp_path, capsys) -> None:
    other = save_dataset(tiny_dataset(n_cases=6, slices_per_case=1, size=32), tmp_path / "small")
    assert main(["evaluate", str(trained), "--data", str(other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(other) in err and "does not fit" in err
    assert main(["evaluate", str(tmp_path), "--data", str(other)]) == 2
    assert "config.json" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2


def test_explain_writes_png(trained, data, tmp_path, capsys) -> None:
    out = tmp_path / "x.png"
    assert main(["explain", str(trained), "--data", str(data), "--case", "case07", "--out", str(out),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert out.stat().st_size > 1000 and result["label"] == "HGG"


def test_experiment_writes_table1_and_fig5(data, tmp_path, capsys) -> None:
    out = tmp_path / "exp"
    shortcut = save_dataset(tiny_dataset(n_cases=8, slices_per_case=3, size=64, shortcut=True),
                            tmp_path / "shortcut")
    assert main(["experiment", str(shortcut), "--out", str(out), "--penalties", "0", "2", "--pinned",
                 "0", "--epochs", "1", "--batch-size", "12", "--figure-slices", "2",
                 "--test-data", str(data)]) == 0
    printed = capsys.readouterr().out
    assert "| Original |" in printed and "| Penalization2 |" in printed and str(data) in printed
    for name in ("table1.csv", "table1.md", "fig5.png", "table1_external.csv", "fig5_external.png"):
        assert (out / name).is_file()


def test_ctrl_c_stops_cleanly_with_a_checkpoint(data, tmp_path) -> None:
    run = tmp_path / "run"

    def interrupt_when_training() -> None:  # SIGINT once the first batch event is logged
        events = run / "events.jsonl"
        for _ in range(600):
            if events.is_file() and "epoch_start" in events.read_text():
                break
            threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_when_training)
    thread.start()
    code = main(["train", str(data), "--out", str(run), "--epochs", "500", "--batch-size", "4",
                 "--pinned", "0"])
    thread.join()
    assert code == 130
    folder = RunFolder(run)
    assert folder.checkpoint("last").is_file()
    assert folder.read_events()[-1]["event"] == "cancelled"


def test_a_degenerate_run_says_it_collapsed(tmp_path, capsys) -> None:
    """Every training slice LGG: train, its summary and evaluate all say so in words."""
    import dataclasses

    base = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    labels = base.labels.copy()
    labels[base.split == "train"] = 0
    data = save_dataset(dataclasses.replace(base, labels=labels), tmp_path / "lgg_only")
    run = tmp_path / "run"
    assert main(["train", str(data), "--out", str(run), "--penalty", "0", "--epochs", "2",
                 "--batch-size", "4", "--lr", "0.01", "--pinned", "0"]) == 0
    captured = capsys.readouterr()
    assert "the model predicts LGG for every validation slice" in captured.err  # epoch log
    assert "warning: the best epoch's model predicts LGG for every validation slice" in captured.out
    assert main(["evaluate", str(run), "--data", str(data), "--split", "all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["collapse"] == "predicts LGG for every slice" and result["predicted_hgg"] == 0.0
    assert main(["evaluate", str(run), "--data", str(data), "--split", "all"]) == 0
    assert "warning: the model predicts LGG for every slice" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["train", "experiment"])
def test_every_recipe_option_reaches_the_training_config(command: str) -> None:
    from lrpstudio.cli.main import build_parser
    from lrpstudio.cli.train_cmd import training_config

    flags = ["--class-balance", "none", "--warmup-epochs", "3", "--warmup-min-accuracy", "0.75",
             "--ramp-epochs", "2", "--max-grad-norm", "0.5", "--lr-schedule", "cosine",
             "--patience", "4", "--form", "ratio", "--seed-relevance", "contrast",
             "--forbidden-weight", "0.25"]
    extra = ["--out", "x"]
    args = build_parser().parse_args([command, "data", *extra, *flags])
    config = training_config(args, "lrp", 1.0)
    assert (config.class_balance, config.warmup_epochs, config.warmup_min_accuracy,
            config.ramp_epochs, config.max_grad_norm, config.lr_schedule, config.patience) == (
        "none", 3, 0.75, 2, 0.5, "cosine", 4)
    assert (config.guidance.form, config.guidance.seed) == ("ratio", "contrast")
    assert config.forbidden_weight == config.guidance.forbidden_weight == 0.25


def test_penalty_zero_with_lrploss_is_plain_ce() -> None:
    from lrpstudio.cli.main import build_parser
    from lrpstudio.cli.train_cmd import _config

    def kind(*flags: str) -> str:
        return _config(build_parser().parse_args(["train", "data", "--out", "x", *flags])).guidance.kind

    assert kind("--penalty", "0") == kind("--guidance", "lrp", "--penalty", "0") == "none"
    assert kind("--penalty", "1") == "lrp" and kind("--guidance", "rrr", "--penalty", "0") == "rrr"
