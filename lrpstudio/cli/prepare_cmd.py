"""``lrpstudio prepare DATA --out DATASET``: build the 2D slice dataset."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset
from lrpstudio.core.data.slice_dataset import GRADES, SPLITS, SliceDataset
from lrpstudio.core.data.slicing import MASK_REGIONS

_EXAMPLES = """\
Takes the largest-tumour axial slices of every usable case (defaults: 5 HGG slices 3
apart, 15 LGG slices 1 apart), normalises each channel inside the brain, resizes them,
and splits the patients 70/20/10 into train/val/test, stratified by grade. Corrected
masks in the data folder's workspace are used where they exist. Cases that cannot be
used are skipped and listed with their problem. Running it again reuses every case
whose files, correction and parameters did not change.

examples:
  lrpstudio prepare ~/data/MICCAI_BraTS_2019_Data_Training --out ~/datasets/brats19
  lrpstudio prepare BraTS2021/ --grades grades.csv --out ds21 --size 240
  lrpstudio prepare demo/ --out ds --channels t1ce t2 flair --seed 3 --jobs 4
  lrpstudio prepare demo/ --out ds --no-corrections --json
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
                        metavar=("TRAIN", "VAL", "TEST"), help="patient fractions (default 0.7 0.2 0.1)")
    parser.add_argument("--mask", choices=tuple(MASK_REGIONS), default=defaults.mask,
                        help="tumour region used as guidance mask (default: whole)")
    parser.add_argument("--hgg-slices", type=int, nargs=2, metavar=("COUNT", "STEP"),
                        default=[defaults.hgg_slices, defaults.hgg_step],
                        help="slices per HGG case and their spacing (default 5 3)")
    parser.add_argument("--lgg-slices", type=int, nargs=2, metavar=("COUNT", "STEP"),
                        default=[defaults.lgg_slices, defaults.lgg_step],
                        help="slices per LGG case and their spacing (default 15 1)")
    parser.add_argument("--grades", type=Path, metavar="FILE",
                        help="grade table CSV (case,grade) for releases without grades")
    parser.add_argument("--no-corrections", action="store_true",
                        help="ignore corrected masks, use the original segmentations")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help=f"worker processes (default: all {os.cpu_count()} cores)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def _config(args: argparse.Namespace) -> PrepareConfig:
    return PrepareConfig(
        channels=tuple(args.channels), image_size=args.size,
        hgg_slices=args.hgg_slices[0], hgg_step=args.hgg_slices[1],
        lgg_slices=args.lgg_slices[0], lgg_step=args.lgg_slices[1],
        split=tuple(args.split), seed=args.seed, use_corrections=not args.no_corrections,
        mask=args.mask, grades=str(args.grades) if args.grades else None)


def _workspace(data: Path, use_corrections: bool) -> Any:
    """The data folder's default workspace (where corrected masks live), when used."""
    if not use_corrections:
        return None
    from lrpstudio.core.data.workspace import default_workspace

    return default_workspace(data)


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
