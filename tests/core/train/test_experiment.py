"""The experiment over penalties, seeds and folds, end to end on tiny data (32 px, 1 epoch)."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from lrpstudio.core.errors import InputError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import TrainCallbacks, fit
from lrpstudio.core.train.experiment import ExperimentConfig, RunKey, run_experiment
from lrpstudio.core.train.experiment_runs import fold_datasets, is_finished, plan_runs, run_dir
from lrpstudio.core.train.experiment_stats import bootstrap_ci
from lrpstudio.core.train.experiment_tables import markdown_report
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.train.session import dataset_fingerprint
from lrpstudio.core.xai.guidance import GuidanceConfig
from tests.core.train.factory import tiny_dataset

QUICK = TrainConfig(epochs=1, batch_size=8, seed=5, pinned=0, guidance=GuidanceConfig(kind="lrp", penalty=1.0))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _number(cell: str) -> float:
    return float(cell) if cell else math.nan


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models train many times faster on one thread than fighting over shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cv(tmp_path_factory, _one_thread):
    """2 seeds x 3 folds x 2 penalties = 12 tiny runs, plus an external copy of the patients."""
    data = tiny_dataset(n_cases=6, slices_per_case=2, size=32)
    external = tiny_dataset(n_cases=6, slices_per_case=2, size=32, seed=9)  # same ids, other images
    out = tmp_path_factory.mktemp("cv") / "exp"
    config = ExperimentConfig(QUICK, penalties=(0.0, 1.0), seeds=2, folds=3, figure_slices=2)
    report = run_experiment(data, out, config, test_data=external)
    return data, external, out, config, report


def test_runs_are_laid_out_by_penalty_seed_and_fold(cv) -> None:
    data, _, out, config, _ = cv
    folds = fold_datasets(data, config)
    for key in plan_runs(config):
        folder = out / f"p{key.penalty:g}" / f"seed{key.seed}" / f"fold{key.fold}"
        record = RunFolder(folder).read_config()
        assert record.train.seed == key.seed
        assert record.train.guidance.kind == ("none" if key.penalty == 0 else "lrp")
        # Trained on its fold's split: the data hash is that of the fold's dataset.
        assert record.dataset.data_hash == dataset_fingerprint(folds[key.fold])
        assert record.dataset.manifest["cross_validation"]["fold"] == key.fold
    for name in ("runs.csv", "table1.csv", "table1.md", "table1.json", "comparison.csv", "fig5.png",
                 "runs_external.csv", "table1_external.md", "table1_external.json", "fig5_external.png"):
        assert (out / name).is_file(), name


def test_every_case_is_tested_once_per_seed(cv) -> None:
    data, _, out, config, report = cv
    folds = fold_datasets(data, config)
    tested = Counter()
    for part in folds.values():
        tested.update(np.unique(part.case_ids[part.split == "test"]).tolist())
    assert tested == Counter({str(c): 1 for c in np.unique(data.case_ids)})
    runs = _read_csv(out / "runs.csv")
    assert len(runs) == 12 == len(report.runs)
    assert Counter((r["penalty"], r["seed"]) for r in runs) == {
        (p, s): 3 for p in ("0.0", "1.0") for s in ("5", "6")}


def test_table1_is_mean_and_sd_over_the_runs(cv) -> None:
    _, _, out, _, report = cv
    runs = _read_csv(out / "runs.csv")
    table = {row["model"]: row for row in _read_csv(out / "table1.csv")}
    for model in ("Original", "Penalization1"):
        mine = [r for r in runs if r["model"] == model]
        assert int(table[model]["runs"]) == 6
        assert int(table[model]["collapsed"]) == sum(bool(r["collapse"]) for r in mine)
        for metric in ("accuracy", "balanced_accuracy", "f1_macro", "sensitivity", "score_lgg"):
            values = [_number(r[metric]) for r in mine]
            values = [v for v in values if math.isfinite(v)]
            assert float(table[model][f"{metric}_mean"]) == pytest.approx(statistics.fmean(values))
            assert float(table[model][f"{metric}_sd"]) == pytest.approx(statistics.stdev(values))
    assert (out / "table1.md").read_text() == markdown_report(report)
    assert "± " in (out / "table1.md").read_text()


def test_comparison_pairs_runs_by_seed_and_fold(cv) -> None:
    _, _, out, _, _ = cv
    runs = _read_csv(out / "runs.csv")
    control = {(r["seed"], r["fold"]): r for r in runs if r["model"] == "Original"}
    treated = [r for r in runs if r["model"] == "Penalization1"]
    result = json.loads((out / "table1.json").read_text(),
                        parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    row = result["comparison"][0]
    assert row["model"] == "Penalization1" and row["pairs"] == 6
    for metric in ("balanced_accuracy", "mean_score"):
        differences = [_number(t[metric]) - _number(control[(t["seed"], t["fold"])][metric]) for t in treated]
        differences = [d for d in differences if math.isfinite(d)]
        got = row[metric]
        assert got["n"] == len(differences)
        assert got["mean_difference"] == pytest.approx(statistics.fmean(differences))
        low, high = bootstrap_ci(differences)
        assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high))
        if any(differences):
            assert got["p_value"] == pytest.approx(stats.wilcoxon(differences).pvalue)
        else:
            assert got["p_value"] is None and "all differences are 0" in got["note"]
    flat = _read_csv(out / "comparison.csv")
    assert [r["metric"] for r in flat] == ["balanced_accuracy", "mean_score"]


def test_external_data_follows_the_training_folds(cv) -> None:
    data, external, out, config, _ = cv
    own, other = fold_datasets(data, config), fold_datasets(external, config, reference=data)
    for k in own:  # the same patients, so the same test cases: no model sees a training patient
        assert np.array_equal(own[k].split, other[k].split)
    assert len(_read_csv(out / "runs_external.csv")) == 12


def test_an_interrupted_multi_seed_experiment_resumes(tmp_path) -> None:
    data = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    out = tmp_path / "exp"
    config = ExperimentConfig(QUICK, penalties=(0.0, 1.0), seeds=2, figure_slices=1)
    control, started = TrainControl(), []

    def stop_in_the_third_run(key: RunKey) -> TrainCallbacks:
        started.append(key)
        return TrainCallbacks(on_epoch_start=lambda e, n: control.cancel() if len(started) == 3 else None)

    assert run_experiment(data, out, config, stop_in_the_third_run, control) is None
    assert started == plan_runs(config)[:3]  # seed 5: p0, p1; seed 6: p0 (cancelled)
    assert RunFolder(out / "p0" / "seed6").read_events()[-1]["event"] == "cancelled"
    assert not (out / "p1" / "seed6").exists()
    sizes = {p: (out / p / "seed5" / "events.jsonl").stat().st_size for p in ("p0", "p1")}

    report = run_experiment(data, out, config)
    assert {p: (out / p / "seed5" / "events.jsonl").stat().st_size for p in ("p0", "p1")} == sizes
    resumed = [e["event"] for e in RunFolder(out / "p0" / "seed6").read_events()]
    assert resumed.count("start") == 2 and resumed[-1] == "end"
    assert [e["event"] for e in RunFolder(out / "p1" / "seed6").read_events()].count("start") == 1
    assert [row["runs"] for row in report.table] == [2, 2]
    assert [(r["seed"], r["fold"]) for r in report.runs] == [(5, None), (5, None), (6, None), (6, None)]
    assert report.comparison[0]["pairs"] == 2


def test_one_seed_without_folds_keeps_the_old_layout(tmp_path) -> None:
    dataset = tiny_dataset(n_cases=8, slices_per_case=2, size=32)
    base = QUICK
    experiment = ExperimentConfig(base, penalties=(0.0, 1.0), figure_slices=2)
    report = run_experiment(dataset, tmp_path / "exp", experiment)
    assert [r["model"] for r in report.table] == ["Original", "Penalization1"]
    assert [r["run"] for r in report.runs] == ["p0", "p1"]
    assert [r["runs"] for r in report.table] == [1, 1]
    assert math.isnan(report.table[0]["accuracy_sd"])  # one run: no spread
    first_row = (tmp_path / "exp" / "table1.md").read_text().splitlines()[2]
    accuracy_cell = first_row.split("|")[5].strip()
    assert accuracy_cell == f"{report.table[0]['accuracy_mean']:.2f}"  # the mean alone, no "±"
    guidance = json.loads((tmp_path / "exp" / "p0" / "config.json").read_text())["train"]["guidance"]
    assert guidance["kind"] == "none"
    records = [json.loads((tmp_path / "exp" / p / "config.json").read_text()) for p in ("p0", "p1")]
    assert records[0]["dataset"]["data_hash"] == records[1]["dataset"]["data_hash"]
    assert records[0]["train"]["seed"] == records[1]["train"]["seed"]
    again = run_experiment(dataset, tmp_path / "exp", experiment)
    assert json.dumps(again.runs) == json.dumps(report.runs)  # finished runs are reused, not retrained
    other = ExperimentConfig(dataclasses.replace(base, lr=0.01), penalties=(0.0,))
    with pytest.raises(InputError, match="own settings"):  # never reuse a run made otherwise
        run_experiment(dataset, tmp_path / "exp", other)


def test_run_folders_and_order() -> None:
    out = Path("exp")
    single = ExperimentConfig(QUICK, penalties=(0.0, 2.0))
    assert [run_dir(out, single, k) for k in plan_runs(single)] == [out / "p0", out / "p2"]
    many = ExperimentConfig(QUICK, penalties=(0.0, 0.5), seeds=2, folds=3)
    keys = plan_runs(many)
    assert len(keys) == 12 and keys[:2] == [RunKey(0.0, 5, 0), RunKey(0.5, 5, 0)]
    assert run_dir(out, many, keys[-1]) == out / "p0.5" / "seed6" / "fold2"
    seeds_only = ExperimentConfig(QUICK, penalties=(1.0,), seeds=3)
    assert [run_dir(out, seeds_only, k) for k in plan_runs(seeds_only)] == [
        out / "p1" / f"seed{s}" for s in (5, 6, 7)]


@pytest.mark.parametrize(("seeds", "folds", "words"), [(0, 0, "seed"), (1, 2, "training fold"),
                                                       (1, -1, "training fold")])
def test_bad_seeds_and_folds_are_refused(seeds: int, folds: int, words: str) -> None:
    with pytest.raises(InputError, match=words):
        ExperimentConfig(QUICK, seeds=seeds, folds=folds)


def test_more_folds_than_cases_are_refused(tmp_path) -> None:
    data = tiny_dataset(n_cases=4, slices_per_case=1, size=32)
    with pytest.raises(InputError, match="more folds than cases"):
        run_experiment(data, tmp_path, ExperimentConfig(QUICK, folds=5))


def test_an_early_stopped_run_counts_as_finished(tmp_path) -> None:
    data = tiny_dataset(n_cases=8, slices_per_case=1, size=32)
    config = dataclasses.replace(QUICK, guidance=GuidanceConfig(kind="none", penalty=0.0))
    fit(config, data, run_dir=tmp_path / "run")
    folder = RunFolder(tmp_path / "run")
    assert is_finished(folder, config)
    longer = dataclasses.replace(config, epochs=3)
    assert not is_finished(folder, longer)  # 1 of 3 epochs: resume it
    # The same run as if it had been asked for 3 epochs and had stopped early after 1.
    record = folder.read_config()
    folder.write_config(record.with_train(longer))
    assert is_finished(folder, longer)
    folder.log_event("cancelled", epoch=2)
    assert not is_finished(folder, longer)
