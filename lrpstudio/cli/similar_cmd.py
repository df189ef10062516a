"""``lrpstudio similar RUN --data ... --case ID``: nearest training slices per layer, and why."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.cli.train_cmd import add_data_options, load_data
from lrpstudio.core.errors import InputError
from lrpstudio.core.train.evaluate import check_compatible, load_run_model
from lrpstudio.core.render.colours import display_channel
from lrpstudio.core.xai.composites import BILRP_COMPOSITES, DEFAULT_BILRP_COMPOSITE
from lrpstudio.core.xai.features import model_layers
from lrpstudio.core.xai.similar import REPORT_FILE, SimilarCases, SimilarConfig, write_similar_report

_EXAMPLES = """\
For one query slice, finds per hidden layer the k training slices whose activations are
closest in cosine distance (never a slice of the query's own patient), rates the
prediction with Deep k-NN (credibility and confidence, calibrated on the validation
split), and explains each match with BiLRP: lines between the patches of the two slices
that make them similar (red) or dissimilar (blue), strongest opaque.

The training split of DATA is the atlas; its features are cached in RUN/similar/ and
rebuilt when the model or the data change. Without --slice the case's largest-tumour
slice in the dataset is used.

writes into DIR:
  similar.json                       query, Deep k-NN verdict, per layer the neighbours
  gallery_<layer>.png                the query and its k neighbours, tumours outlined
  bilrp_<layer>_<rank>_<case>_z<slice>.png   BiLRP of the query with each neighbour

examples:
  lrpstudio similar runs/p2 --data ~/datasets/brats19 --case BraTS19_TCIA10_103_1 --out sim/
  lrpstudio similar runs/ce --data demo/ --case BraTS20_Training_007 --slice 77 \\
      --layer block4 --k 3 --out sim/ --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``similar`` sub-command."""
    parser = subparsers.add_parser(
        "similar", help="nearest training slices per layer, Deep k-NN credibility, BiLRP pictures",
        description="Similar cases of one slice: per-layer k-NN, Deep k-NN and BiLRP.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN", help="a training run folder")
    parser.add_argument("--data", type=Path, required=True, metavar="DATA_OR_DATASET",
                        help="prepared dataset or BraTS folder: its train split is the atlas, "
                             "its val split calibrates Deep k-NN")
    parser.add_argument("--case", required=True, metavar="ID", help="the query's case id")
    parser.add_argument("--slice", type=int, default=None, metavar="Z", help="axial slice index")
    parser.add_argument("--layer", default="all", metavar="L",
                        help="feature layer to report (paper CNN: block1..block4, dense), "
                             "or 'all' (default)")
    parser.add_argument("--k", type=int, default=5, help="neighbours per layer (default 5)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")
    parser.add_argument("--projection-dim", type=int, default=100, metavar="K",
                        help="BiLRP random projections (default 100)")
    parser.add_argument("--pool", type=int, default=8, metavar="PX", help="BiLRP patch size (default 8)")
    parser.add_argument("--rules", choices=BILRP_COMPOSITES, default=DEFAULT_BILRP_COMPOSITE,
                        help=f"BiLRP LRP rules (default {DEFAULT_BILRP_COMPOSITE})")
    parser.add_argument("--top", type=int, default=40, metavar="N", help="most lines per picture (default 40)")
    parser.add_argument("--threshold", type=float, default=0.1, metavar="T",
                        help="soft threshold on |R|/max|R| in [0, 1): weaker pairs are not drawn "
                             "(default 0.1)")
    parser.add_argument("--device", default="cpu")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Find and explain the similar cases of one slice."""
    if args.k < 1:
        raise InputError("--k must be at least 1", expected=">= 1", actual=args.k)
    if not 0.0 <= args.threshold < 1.0:
        raise InputError("--threshold must be in [0, 1)", expected="[0, 1)", actual=args.threshold)
    dataset = load_data(args.data, args, quiet=args.json)
    model, config, _ = load_run_model(args.run_dir, args.checkpoint, args.device)
    check_compatible(config, dataset, args.data)
    row = dataset.find(args.case, args.slice)
    layers = None if args.layer == "all" else [args.layer]
    known = model_layers(model)
    if layers is not None and args.layer not in known:  # before the atlas is built
        raise InputError(f"not a feature layer: {args.layer}", expected=known, actual=args.layer)
    settings = SimilarConfig(k=args.k, projection_dim=args.projection_dim, pool=args.pool,
                             composite=args.rules, top_n=args.top, threshold=args.threshold)
    with progress_bar("atlas features", disable=args.json) as bar:
        sim = SimilarCases(model, dataset, settings, cache_dir=Path(args.run_dir) / "similar",
                           progress=progress_callback(bar))
    with progress_bar("BiLRP", disable=args.json) as bar:
        report = write_similar_report(sim, dataset, row, args.out, layers,
                                      channel=display_channel(dataset.channels),
                                      progress=progress_callback(bar))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    q = report["query"]
    print(f"query {q['case_id']} z{q['slice_index']} ({q['grade']}, {q['split']}); "
          f"atlas: {report['atlas_slices']} training slices of {report['atlas_cases']} cases")
    verdict = report["deep_knn"]
    if verdict is not None:
        print(f"Deep k-NN: predicts {verdict['predicted_grade']}, credibility "
              f"{verdict['credibility']:.3f}, confidence {verdict['confidence']:.3f}")
    for layer, record in report["layers"].items():
        names = ", ".join(f"{n['case_id']} z{n['slice_index']} {n['grade']} ({n['distance']:.3f})"
                          for n in record["neighbours"])
        print(f"{layer}: {names}")
    print(f"written: {Path(args.out) / REPORT_FILE} and the PNGs beside it")
    return 0
