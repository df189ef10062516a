"""``lrpstudio prepare DATA --out DATASET``: build the 2D slice dataset."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from lrpstudio.app.workspace import Workspace, workspace_for
from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset
from lrpstudio.core.data.balance import BALANCE_MODES
from lrpstudio.core.errors import InputError
from lrpstudio.core.data.slice_dataset import GRADES, SPLITS, SliceDataset
from lrpstudio.core.data.slicing import MASK_REGIONS

_EXAMPLES = """\
Takes the largest-tumour axial slices of every usable case, normalises each channel
inside the brain, resizes them, and splits the patients 60/20/20 into train/val/test,
stratified by grade. How many slices each case gives follows the class counts of the
data (--balance auto: the grade with fewer cases gives 15 slices per case, the other
proportionally fewer, 3 to 15), so both grades contribute about as many slices; a
split still worse than 60/40 is reported. --balance fixed (or giving --hgg-slices /
--lgg-slices) uses fixed counts; the authors' code used 5 HGG slices 3 apart and
15 LGG slices 1 apart, which balances BraTS 2019's 259/76 patients only. Corrected
masks in the data folder's workspace are used where they exist. Cases that cannot be
used are skipped and listed with their problem. Running it again reuses every case
whose files, correction and parameters did not change.

examples:
  lrpstudio prepare ~/data/MICCAI_BraTS_2019_Data_Training --out ~/datasets/brats19
  lrpstudio prepare BraTS2021/ --grades grades.csv --out ds21 --size 240
  lrpstudio prepare demo/ --out ds --channels t1ce t2 flair --seed 3 --jobs 4
  lrpstudio prepare demo/ --out ds --no-corrections --json
  lrpstudio prepare brats19/ --out ds_paper --hgg-slices 5 3 --lgg-slices 15 1
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``prepare`` sub-command."""
    defaults = PrepareConfig()
    parser = subparsers.add_parser(
        "prepare", help="build the 2D slice dataset (+ manifest) from a BraTS folder",
        description="Build the 2D slice dataset (+ manifest) from a BraTS folder.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, metavar="DATA", help="a BraTS folder (any layout)")
    parser.add_argument("--out", type=Path, required=True, metavar="DATASET",
                        help="the dataset folder to create or update")
    parser.add_argument("--size", type=int, default=defaults.image_size,
                        help=f"slice side in pixels (default {defaults.image_size}; 240 = native)")
    parser.add_argument("--channels", nargs="+", choices=MODALITIES, default=list(defaults.channels),
                        help="modalities as channels, in order (default: t1 t2 flair)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the split")
    parser.add_argument("--split", nargs=3, type=float, default=list(defaults.split),
                        metavar=("TRAIN", "VAL", "TEST"),
                        help="patient fractions (default {} {} {})".format(*defaults.split))
    parser.add_argument("--mask", choices=tuple(MASK_REGIONS), default=defaults.mask,
                        help="tumour region used as guidance mask (default: whole)")
    parser.add_argument("--balance", choices=BALANCE_MODES, default=None,
                        help="slice counts per grade: auto = from the class counts (default), "
                             "fixed = --hgg-slices / --lgg-slices")
    parser.add_argument("--hgg-slices", type=int, nargs=2, metavar=("COUNT", "STEP"), default=None,
                        help="fixed slices per HGG case and their spacing (implies --balance "
                             f"fixed; default {defaults.hgg_slices} {defaults.hgg_step})")
    parser.add_argument("--lgg-slices", type=int, nargs=2, metavar=("COUNT", "STEP"), default=None,
                        help="fixed slices per LGG case and their spacing (implies --balance "
                             f"fixed; default {defaults.lgg_slices} {defaults.lgg_step})")
    parser.add_argument("--grades", type=Path, metavar="FILE",
                        help="grade table CSV (case,grade) for releases without grades")
    parser.add_argument("--no-corrections", action="store_true",
                        help="ignore corrected masks, use the original segmentations")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help=f"worker processes (default: all {os.cpu_count()} cores)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def _config(args: argparse.Namespace) -> PrepareConfig:
    d = PrepareConfig()
    fixed = args.hgg_slices is not None or args.lgg_slices is not None
    balance = args.balance or ("fixed" if fixed else d.balance)
    if balance == "auto" and fixed:
        raise InputError("--hgg-slices / --lgg-slices need --balance fixed",
                         expected="--balance fixed", actual="--balance auto")
    hgg = args.hgg_slices or [d.hgg_slices, d.hgg_step]
    lgg = args.lgg_slices or [d.lgg_slices, d.lgg_step]
    return PrepareConfig(
        channels=tuple(args.channels), image_size=args.size, balance=balance,
        hgg_slices=hgg[0], hgg_step=hgg[1], lgg_slices=lgg[0], lgg_step=lgg[1],
        split=tuple(args.split), seed=args.seed, use_corrections=not args.no_corrections,
        mask=args.mask, grades=str(args.grades) if args.grades else None)


def _workspace(data: Path, use_corrections: bool) -> Workspace | None:
    """The data folder's workspace (where corrected masks live, by the app's one rule), when used."""
    return workspace_for(data) if use_corrections else None


def summary(dataset: SliceDataset, out: Path) -> dict[str, Any]:
    """Machine-readable summary: counts per split and grade, reuse, skipped cases."""
    manifest = dataset.manifest
    cases = manifest.get("cases", {})
    return {
        "dataset": str(out),
        "slices": len(dataset),
        "image_size": dataset.image_size,
        "channels": list(dataset.channels),
        "cases": sum(1 for c in cases.values() if c.get("status") == "prepared"),
        "counts": manifest.get("counts", {}),
        "balance": manifest.get("balance", {}),
        "last_run": manifest.get("last_run", {}),
        "skipped": manifest.get("skipped", []),
        "corrections_used": sorted(cid for cid, c in cases.items() if c.get("correction")),
    }


def _print_text(info: dict[str, Any]) -> None:
    run = info["last_run"]
    print(f"prepared {info['cases']} cases, {info['slices']} slices of "
          f"{info['image_size']}x{info['image_size']} ({' '.join(info['channels'])}) in "
          f"{info['dataset']}")
    print(f"  this run: {len(run.get('extracted', []))} extracted, "
          f"{len(run.get('reused', []))} reused, {len(info['skipped'])} skipped")
    if info["corrections_used"]:
        print(f"  corrected masks used for {len(info['corrections_used'])} cases")
    print(f"  {'slices':8s}" + "".join(f"{g:>7s}" for g in GRADES) + f"{'total':>7s}")
    for split in SPLITS:
        row = info["counts"].get(split, {})
        values = [int(row.get(g, 0)) for g in GRADES]
        print(f"  {split:8s}" + "".join(f"{v:7d}" for v in values) + f"{sum(values):7d}")
    per_case = info["balance"].get("slices_per_case", {})
    if per_case:
        print(f"  balance {info['balance'].get('mode')}: " + ", ".join(
            f"{g} {v['count']} slices/case ({v['step']} apart, {v['cases']} cases)"
            for g, v in per_case.items()))
    for warning in info["balance"].get("warnings", []):
        print(f"  warning: {warning}")
    for problem in info["skipped"]:
        where = f" {problem['file']}:" if problem.get("file") else ""
        print(f"  skipped {problem['case']}:{where} {problem['problem']}")


def run(args: argparse.Namespace) -> int:
    """Prepare the dataset, show progress on stderr and a summary on stdout."""
    config = _config(args)
    workspace = _workspace(args.data, config.use_corrections)
    with progress_bar("prepare") as bar:
        dataset = prepare_dataset(args.data, args.out, config, workspace,
                                  progress=progress_callback(bar), jobs=args.jobs)
    info = summary(dataset, args.out)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_text(info)
    return 0
