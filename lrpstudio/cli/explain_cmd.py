"""``lrpstudio explain RUN --data ... --case ID --out PNG``: one slice's LRP heatmap."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lrpstudio.cli.train_cmd import add_data_options, load_data
from lrpstudio.core.train.explain import explain_slice

_EXAMPLES = """\
Explains the run's prediction for one slice with LRP (relevance for the TRUE label, as
in the TumorLRPScore) and writes a PNG: the input with the tumour outlined beside the
heatmap (red = evidence for the label), with the score and the predicted grade.
Without --slice the case's largest-tumour slice in the dataset is used.

examples:
  lrpstudio explain runs/p2 --data ~/datasets/brats19 --case BraTS19_TCIA10_103_1 --out x.png
  lrpstudio explain runs/ce --data demo/ --case BraTS20_Training_007 --slice 77 --out ce.png --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explain`` sub-command."""
    parser = subparsers.add_parser(
        "explain", help="LRP heatmap PNG of one slice, with score and prediction",
        description="Write the LRP heatmap of one slice as a PNG.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN")
    parser.add_argument("--data", type=Path, required=True, metavar="DATA_OR_DATASET")
    parser.add_argument("--case", required=True, metavar="ID", help="case id")
    parser.add_argument("--slice", type=int, default=None, metavar="Z", help="axial slice index")
    parser.add_argument("--out", type=Path, required=True, metavar="PNG")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")
    parser.add_argument("--composite", default=None, help="LRP composite (default: the run's)")
    parser.add_argument("--device", default="cpu")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Explain one slice and write the PNG."""
    dataset = load_data(args.data, args, quiet=args.json)
    result = explain_slice(args.run_dir, dataset, args.case, args.out, args.slice, args.checkpoint,
                           args.device, args.composite, source=args.data)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        score = "n/a" if result["score"] is None else f"{result['score']:.3f}"
        print(f"{result['case']} z{result['slice']}: true {result['label']}, predicted "
              f"{result['prediction']} (p_HGG {result['probability_hgg']:.3f}), score {score} "
              f"-> {result['png']}")
    return 0
