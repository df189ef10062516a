"""``lrpstudio experiment DATA --out DIR``: models per penalty, seed and fold; Table 1 and Fig. 5."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from lrpstudio.cli.train_cmd import (
    add_data_options, add_training_options, bar_callbacks, distributed_config, load_data_once,
    process_group, stop_on_ctrl_c, training_config,
)
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import TrainCallbacks
from lrpstudio.core.train.experiment import ExperimentConfig, RunKey, run_experiment
from lrpstudio.core.train.experiment_tables import ExperimentReport, markdown_report, report_json

_EXAMPLES = """\
Trains one model per LRPLoss power p (0 = plain cross-entropy) for each seed
S .. S+N-1 (--seed S --seeds N) and, with --folds K, for each fold of a patient-level
K-fold cross-validation stratified by grade (fold k tests, fold k+1 validates, the
others train; the folds come from --seed, so all seeds share them). Runs go to
DIR/p<p>/ (one seed, no folds), DIR/p<p>/seed<s>/ or DIR/p<p>/seed<s>/fold<k>/.
Each best model is evaluated on its own test split, and DIR gets:
  runs.csv        every run's metrics (and whether it collapsed to one class)
  table1.csv/.md  per penalty, mean ± sd over all runs: accuracy, balanced accuracy,
                  weighted and macro F1, sensitivity, specificity, mean TumorLRPScore
                  LGG/HGG; runs, and runs that predict one class for >= 95 % of slices
  table1.md/.json also each p > 0 against p = 0 over runs of the same seed and fold
                  (balanced accuracy, mean score): mean difference, bootstrap 95 % CI,
                  Wilcoxon signed-rank p; comparison.csv holds the same
  fig5.png        the same slices explained by each penalty's model (first seed and fold)
Running it again reuses finished runs and resumes unfinished ones.

examples:
  lrpstudio experiment ~/datasets/brats19 --out exp1 --penalties 0 1 2 3 --epochs 20
  lrpstudio experiment demo/ --out exp-demo --penalties 0 1 --epochs 5 --size 64
  lrpstudio experiment demo/ --out exp-cv --penalties 0 1 --seeds 3 --folds 5 --size 64
  lrpstudio experiment shortcut/ --out exp-s --seeds 3 --test-data clean/ --json
  torchrun --nproc_per_node 4 -m lrpstudio experiment demo/ --out exp-demo --device cuda
      (each process trains whole runs; rank 0 writes the tables: the same Table 1)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``experiment`` sub-command."""
    parser = subparsers.add_parser(
        "experiment", help="models per penalty over seeds and folds: Table 1 (mean ± sd, paired "
        "test against p = 0) and Fig. 5",
        description="Compare plain CE with LRPLoss penalties on the same data, seeds and folds.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, metavar="DATA_OR_DATASET")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--penalties", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0], metavar="P",
                        help="LRPLoss powers to compare (default 0 1 2 3)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="runs per penalty (and fold) with seeds --seed .. --seed+N-1 (default 1)")
    parser.add_argument("--folds", type=int, default=0, metavar="K",
                        help="patient-level K-fold cross-validation, K >= 3 (default 0: the "
                        "dataset's own train/val/test split)")
    parser.add_argument("--test-data", type=Path, default=None, metavar="DATA_OR_DATASET",
                        help="also compare the models on this data's split (e.g. the same kind of "
                        "data without a confounder): table1_external.*, runs_external.csv, "
                        "fig5_external.png; with --folds its patients that DATA holds follow DATA's folds")
    parser.add_argument("--split", choices=("test", "val", "train", "all"), default="test",
                        help="split the tables and figures use (default test)")
    parser.add_argument("--figure-slices", type=int, default=4, help="rows of fig5.png (default 4)")
    add_training_options(parser)
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print Table 1, the comparison and the runs as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the experiment; 130 when stopped by Ctrl-C (finished runs are kept)."""
    train = training_config(args, "lrp", 1.0)
    config = _config(args, train)  # bad --seeds/--folds fail before any data is prepared
    with process_group(train.device) as ctx:
        quiet = args.json or not ctx.is_main
        dataset = load_data_once(args.data, args, ctx, quiet)
        test_data = load_data_once(args.test_data, args, ctx, quiet) if args.test_data else None
        config = replace(config, train=distributed_config(train, ctx))
        control = TrainControl()
        bars = []

        def callbacks(key: RunKey) -> TrainCallbacks:
            callbacks_, bar = bar_callbacks(key.label(config.nested), quiet=quiet)
            bars.append(bar)
            return callbacks_

        try:
            with stop_on_ctrl_c(control):
                report = run_experiment(dataset, args.out, config, callbacks, control, test_data, dist=ctx)
        finally:
            for bar in bars:
                bar.close()
    if not ctx.is_main:
        return 0
    if report is None:
        return 130
    _print(report, args)
    return 0


def _config(args: argparse.Namespace, train: TrainConfig) -> ExperimentConfig:
    """The experiment's settings from the parsed options (InputError for bad ones)."""
    return ExperimentConfig(train=train, penalties=tuple(float(p) for p in args.penalties),
                            split=args.split, figure_slices=args.figure_slices,
                            seeds=args.seeds, folds=args.folds)


def _print(report: ExperimentReport, args: argparse.Namespace) -> None:
    """JSON (the report, and the external one under ``external``) or the Markdown tables."""
    external = args.out / "table1_external.json"
    if args.json:
        payload = report_json(report)
        if args.test_data is not None:
            payload["external"] = json.loads(external.read_text())
        print(json.dumps(payload, indent=2))
        return
    print(markdown_report(report), end="")
    if args.test_data is not None:
        print(f"\non {args.test_data} ({args.split}):")
        print((args.out / "table1_external.md").read_text(), end="")
    written = ", ".join(str(args.out / n) for n in ("runs.csv", "table1.csv", "table1.md", "table1.json",
                                                       "fig5.png"))
    print(f"written: {written}")
