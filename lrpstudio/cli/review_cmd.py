"""``lrpstudio review RUN --data DATA --out QUEUE.csv|json``: the slices to review first, and why.

``--epochs`` prints the per-case shortcut report over the run's epochs instead.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from lrpstudio.app.explain import ModelCache
from lrpstudio.app.review import QueueEntry, build_queue, queue_dataset, write_queue
from lrpstudio.app.review_epochs import EDGE_LEVEL, MOVE_LEVEL, EpochReport, shortcut_report, write_trends_file
from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.errors import InputError

_EXAMPLES = f"""\
Scores every labelled case's tumour slices of DATA (all splits; a data folder is prepared
as the run's data was, with the corrected masks of its workspace) with the run's best
model: prediction, confidence, TumorLRPScore, the share of positive relevance outside the
mask and where it lies (brain edge, background, inside the brain), and the largest
outside-mask blobs with their size and position. With "focused" the share of the slice's
positive relevance in outside blobs of at least 5 % each, slices are given

  priority = focused * (1 + (2 * confidence - 1))   when the prediction is correct
  priority = focused * 0.75                          when it is wrong

so confident, correct slices that look at a blob outside the mask (a shortcut, or tumour
the mask missed) come first. The queue goes case by case: cases by the mean priority of
their slices, each case's slices by their own. With --baseline the other run's score and outside share of the same
slices are added (before / after a retrain).

--epochs reads the per-epoch record training writes (RUN/review/epoch_XXX.npz) and lists
the validation cases whose relevance lies on the background or the brain edge (>=
{EDGE_LEVEL:.0%} at the last epoch) or moved away from the tumour (tumour share down by
>= {MOVE_LEVEL:.2f} from its best epoch).

examples:
  lrpstudio review runs/p2 --data ~/datasets/brats19 --out queue.csv
  lrpstudio review runs/p2b --data ~/datasets/brats19 --baseline runs/p2 --out queue.json
  lrpstudio review runs/p2 --epochs
  lrpstudio review runs/p2 --epochs --out shortcuts.csv
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``review`` sub-command."""
    parser = subparsers.add_parser(
        "review", help="rank the tumour slices by relevance outside the mask (the review queue)",
        description="The review queue of a run, or its per-case shortcut report over epochs.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN", help="a run folder made by `lrpstudio train`")
    parser.add_argument("--data", type=Path, default=None, metavar="DATA_OR_DATASET",
                        help="BraTS folder, workspace or prepared dataset (not needed with --epochs)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write the queue (or the --epochs report) as .csv or .json")
    parser.add_argument("--baseline", type=Path, default=None, metavar="RUN",
                        help="another run scored on the same slices: before values")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="keep only the N highest-priority slices")
    parser.add_argument("--epochs", action="store_true",
                        help="the per-case shortcut report over the run's epochs instead")
    parser.add_argument("--device", default="cpu", help="where the models run: cpu, cuda or cuda:N")
    parser.set_defaults(handler=run)


def _fraction(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _line(e: QueueEntry) -> str:
    top = e.components[0] if e.components else None
    blob = (f"{top.where} {top.mass_fraction:.2f} ({top.voxels} vx at i{top.centroid_ij[0]:.0f} "
            f"j{top.centroid_ij[1]:.0f})" if top else "-")
    before = (f"  before: score {_fraction(e.score_before)} outside {_fraction(e.outside_before)}"
              if e.outside_before is not None else "")
    return (f"{e.rank:>4}  {e.case_id:<24} z{e.z:<4} {e.label}->{e.prediction} {e.confidence:5.2f}  "
            f"{_fraction(e.score):>5}  {e.outside_fraction:5.2f}  {e.edge_fraction:4.2f}  "
            f"{e.background_fraction:4.2f}  {e.priority:5.3f}  {blob}{before}")


def _print_queue(entries: tuple[QueueEntry, ...], shown: int = 10) -> None:
    print("rank  case                     z     grade conf   score  outside edge  bg    prio   "
          "largest outside blob")
    for entry in entries[:shown]:
        print(_line(entry))


def _epochs(args: argparse.Namespace) -> int:
    report: EpochReport = shortcut_report(args.run_dir)
    if report.note is not None:
        print(report.note)
        return 0
    cases = report.cases[:args.limit] if args.limit is not None else report.cases
    flagged = [t for t in cases if t.flags]
    print(f"{args.run_dir}: epochs {report.epochs[0]}..{report.epochs[-1]}, {len(report.cases)} "
          f"validation cases, {len(flagged)} flagged")
    print("case                     grade tumour first/peak(epoch)/last  edge  bg    flags")
    for t in cases:
        print(f"{t.case_id:<24} {t.grade:<5} {t.first_tumour:.2f} / {t.peak_tumour:.2f} ({t.peak_epoch:>3}) / "
              f"{t.last_tumour:.2f}   {t.last_edge:.2f}  {t.last_background:.2f}  {', '.join(t.flags) or '-'}")
    if args.out is not None:
        print(f"written: {write_trends_file(args.run_dir, cases, args.out)}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Build and write the queue (or print the epoch report)."""
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1", expected=">= 1", actual=args.limit)
    if args.epochs:
        return _epochs(args)
    if args.data is None or args.out is None:
        raise InputError("the queue needs --data and --out (or use --epochs)",
                         expected="--data DATA --out FILE", actual="missing")
    if args.out.suffix.lower() not in (".csv", ".json"):
        raise InputError("--out must be a .csv or .json file", args.out, expected=".csv or .json",
                         actual=args.out.suffix or "no suffix")
    models = ModelCache(args.device)
    model = models.get(args.run_dir)  # a missing or damaged run (or device) fails before any data work
    if args.baseline is not None:
        models.get(args.baseline)
    with progress_bar("preparing data") as bar:
        dataset = queue_dataset(args.run_dir, args.data, progress=progress_callback(bar))
    with progress_bar("scoring slices") as bar:
        queue = build_queue(args.run_dir, dataset, baseline=args.baseline, progress=progress_callback(bar),
                            model=model)
    if args.limit is not None:
        queue = type(queue)(queue.run_dir, queue.baseline, queue.entries[:args.limit])
    path = write_queue(queue, args.out)
    _print_queue(queue.entries)
    wrong = sum(not e.correct for e in queue.entries)
    print(f"{len(queue.entries)} slices of {len({e.case_id for e in queue.entries})} cases "
          f"({wrong} predicted wrong); written: {path}")
    return 0
