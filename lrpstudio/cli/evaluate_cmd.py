"""``lrpstudio evaluate RUN --data DATA_OR_DATASET``: test a trained model on any data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.cli.train_cmd import add_data_options, load_data
from lrpstudio.core.train.evaluate import evaluate_run, write_evaluation

_EXAMPLES = """\
Loads the run's best model (or --checkpoint last) and reports accuracy, balanced
accuracy, weighted and macro F1, sensitivity and specificity (HGG is the positive
class), a warning when the model gives one class to >= 95 % of the slices, and the mean TumorLRPScore per
true class (score_lgg, score_hgg: the share of positive relevance inside the tumour).
DATA may come from anywhere (another release, another site): a prepared dataset or a
BraTS folder with the channels and image size the model was trained on. The result is
also recorded in the run folder as evaluation_<split>.json (with DATA), which the
desktop app's Runs tab shows for the open data folder.

examples:
  lrpstudio evaluate runs/p2 --data ~/datasets/brats19
  lrpstudio evaluate runs/p2 --data ~/data/BraTS2021 --grades grades.csv --split all --json
  lrpstudio evaluate runs/ce --data ~/datasets/brats19 --split val --checkpoint last
"""

_KEYS = ("accuracy", "balanced_accuracy", "f1_weighted", "f1_macro", "sensitivity", "specificity",
         "score_lgg", "score_hgg")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    parser = subparsers.add_parser(
        "evaluate", help="metrics and mean TumorLRPScore of a trained run on a dataset split",
        description="Evaluate a trained run on a dataset split.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN", help="a run folder made by `lrpstudio train`")
    parser.add_argument("--data", type=Path, required=True, metavar="DATA_OR_DATASET")
    parser.add_argument("--split", choices=("test", "val", "train", "all"), default="test",
                        help="which slices (default test)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    parser.set_defaults(handler=run)


def _nan_to_none(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the metrics."""
    dataset = load_data(args.data, args, quiet=args.json)
    with progress_bar("evaluating", disable=args.json) as bar:
        result = evaluate_run(args.run_dir, dataset, args.split, args.checkpoint, args.device,
                              source=args.data, progress=progress_callback(bar))
    try:
        write_evaluation(args.run_dir, result, args.data.resolve())
    except OSError as error:  # a read-only run folder (someone else's run) still evaluates
        print(f"lrpstudio evaluate: warning: result not recorded in the run folder: {error}",
              file=sys.stderr)
    result = {"run": str(args.run_dir), "data": str(args.data), **result}
    if args.json:
        print(json.dumps({k: _nan_to_none(v) for k, v in result.items()}, indent=2))
        return 0
    print(f"{args.run_dir} ({args.checkpoint}, epoch {result['epoch']}) on {args.data} "
          f"[{args.split}: {result['slices']} slices, {result['cases']} cases]")
    for key in _KEYS:
        value = result[key]
        print(f"  {key:<17} {'n/a' if value != value else f'{value:.4f}'}")
    cm = result["confusion_matrix"]
    print(f"  confusion         true LGG -> {cm[0]}, true HGG -> {cm[1]} (predicted LGG, HGG)")
    if result["collapse"]:
        print(f"  warning: the model {result['collapse']} (it does not tell the grades apart)")
    return 0
