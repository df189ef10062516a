"""``lrpstudio experiment DATA --out DIR``: one model per penalty, Table 1 and Fig. 5."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lrpstudio.cli.train_cmd import (
    add_data_options, add_training_options, bar_callbacks, distributed_config, load_data_once,
    process_group, stop_on_ctrl_c, training_config,
)
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.experiment import ExperimentConfig, markdown_table, model_name, run_experiment

_EXAMPLES = """\
Trains one model per LRPLoss power p (0 = plain cross-entropy) with the same seed and
data into DIR/p<p>/, evaluates each best model on the test split, and writes
DIR/table1.csv, DIR/table1.md (accuracy, weighted F1, sensitivity, specificity, mean
TumorLRPScore LGG/HGG) and DIR/fig5.png (input, mask, then each model's heatmap with
score and predicted label, for the same slices). Running it again reuses finished runs
and resumes unfinished ones.

examples:
  lrpstudio experiment ~/datasets/brats19 --out exp1 --penalties 0 1 2 3 --epochs 20
  lrpstudio experiment demo/ --out exp-demo --penalties 0 1 --epochs 5 --size 64
  torchrun --nproc_per_node 4 -m lrpstudio experiment demo/ --out exp-demo --device cuda
      (each process trains whole runs; rank 0 writes the tables: the same Table 1)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``experiment`` sub-command."""
    parser = subparsers.add_parser(
        "experiment", help="one model per penalty: Table 1 (CSV, Markdown) and Fig. 5 (PNG)",
        description="Compare plain CE with LRPLoss penalties on the same data and seed.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, metavar="DATA_OR_DATASET")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--penalties", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0], metavar="P",
                        help="LRPLoss powers to compare (default 0 1 2 3)")
    parser.add_argument("--test-data", type=Path, default=None, metavar="DATA_OR_DATASET",
                        help="also compare the models on this data's split (e.g. the same kind of "
                        "data without a confounder): table1_external.*, fig5_external.png")
    parser.add_argument("--split", choices=("test", "val", "train", "all"), default="test",
                        help="split the tables and figures use (default test)")
    parser.add_argument("--figure-slices", type=int, default=4, help="rows of fig5.png (default 4)")
    add_training_options(parser)
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the table rows as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the experiment; 130 when stopped by Ctrl-C (finished runs are kept)."""
    train = training_config(args, "lrp", 1.0)
    with process_group(train.device) as ctx:
        quiet = args.json or not ctx.is_main
        dataset = load_data_once(args.data, args, ctx, quiet)
        test_data = load_data_once(args.test_data, args, ctx, quiet) if args.test_data else None
        config = ExperimentConfig(train=distributed_config(train, ctx),
                                  penalties=tuple(float(p) for p in args.penalties),
                                  split=args.split, figure_slices=args.figure_slices)
        control = TrainControl()
        bars = []

        def callbacks(penalty: float):
            callbacks_, bar = bar_callbacks(model_name(penalty), quiet=quiet)
            bars.append(bar)
            return callbacks_

        try:
            with stop_on_ctrl_c(control):
                rows = run_experiment(dataset, args.out, config, callbacks, control, test_data, dist=ctx)
        finally:
            for bar in bars:
                bar.close()
    if not ctx.is_main:
        return 0
    if not rows:
        return 130
    if args.json:
        print(json.dumps(rows, indent=2, default=lambda v: None))
    else:
        print(markdown_table(rows), end="")
        if test_data is not None:
            print(f"\non {args.test_data} ({args.split}):")
            print((args.out / "table1_external.md").read_text(), end="")
        print(f"written: {args.out / 'table1.csv'}, {args.out / 'table1.md'}, {args.out / 'fig5.png'}")
    return 0
