"""`lrpstudio experiment --seeds N --folds K`: JSON and Markdown output, bad options."""

from __future__ import annotations

import json

import pytest
import torch

from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import save_dataset
from tests.core.train.factory import tiny_dataset

QUICK = ["--epochs", "1", "--batch-size", "8", "--pinned", "0", "--seed", "2", "--figure-slices", "1"]


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models train many times faster on one thread than fighting over shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_seeds_and_folds_give_mean_sd_and_a_paired_comparison(tmp_path, capsys) -> None:
    data = save_dataset(tiny_dataset(n_cases=6, slices_per_case=1, size=32), tmp_path / "data")
    out = tmp_path / "exp"
    args = ["experiment", str(data), "--out", str(out), "--penalties", "0", "1", "--seeds", "2",
            "--folds", "3", *QUICK]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["settings"]["seeds"] == [2, 3] and result["settings"]["folds"] == 3
    assert [row["runs"] for row in result["table"]] == [6, 6]
    assert {"balanced_accuracy_mean", "balanced_accuracy_sd", "f1_macro_mean", "score_hgg_sd",
            "collapsed"} <= set(result["table"][0])
    assert result["comparison"][0]["pairs"] == 6 and "p_value" in result["comparison"][0]["mean_score"]
    assert sorted({(r["seed"], r["fold"]) for r in result["runs"]}) == [(s, k) for s in (2, 3) for k in range(3)]
    assert (out / "p1" / "seed3" / "fold2" / "checkpoints" / "best.pt").is_file()
    # Again, as text: every run is reused and the Markdown tables are printed.
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| Original | 0 | 6 |" in printed and "±" in printed and "Wilcoxon" in printed
    assert printed.strip().splitlines()[-1].startswith("written: ")


@pytest.mark.parametrize(("option", "words"), [(["--folds", "2"], "training fold"),
                                                (["--seeds", "0"], "at least one seed")])
def test_bad_seeds_or_folds_exit_2_before_any_data_is_read(option, words, tmp_path, capsys) -> None:
    missing = tmp_path / "no-such-data"
    assert main(["experiment", str(missing), "--out", str(tmp_path / "exp"), *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and str(missing) not in err[0]
