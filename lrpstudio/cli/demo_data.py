"""``lrpstudio demo-data OUT``: write a BraTS-like synthetic data set."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.data.demo import (
    DEFAULT_DEMO, DEMO_LAYOUTS, DemoConfig, generate_demo, read_marker, remove_demo_set,
)
from lrpstudio.core.errors import DemoDataError

_EXAMPLES = f"""\
Each case is a skull-stripped brain phantom (240x240x155, 1 mm, int16 T1/T1ce/T2/FLAIR,
uint8 seg in the release's labels, BraTS affine) with an HGG-like or LGG-like tumour.
--shortcut S adds a bright column outside the tumour, in T1/T2/FLAIR, to each HGG case
with probability S (LGG never): S=0 none, S=1 perfectly predictive. A plain classifier
can learn it instead of the tumour. The defaults ({DEFAULT_DEMO.cases} cases, seed \
{DEFAULT_DEMO.seed}, {DEFAULT_DEMO.layout.value}, shortcut {DEFAULT_DEMO.shortcut})
make the same set the desktop app opens as its built-in demo.

OUT must be empty, missing, or a previous demo set, finished or interrupted (it is
replaced: only the files it wrote are removed); anything else is refused unless --force
is given.

examples:
  lrpstudio demo-data ~/data/demo
  lrpstudio demo-data demo19 --layout brats2019 --cases 20 --seed 3
  lrpstudio demo-data clean --shortcut 0          # no shortcut: the honest task
  lrpstudio demo-data cheat --shortcut 1 --json   # the shortcut is in every HGG case
  lrpstudio demo-data tiny --cases 4 --shape 64 64 40
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo-data`` sub-command."""
    parser = subparsers.add_parser(
        "demo-data", help="write BraTS-like synthetic demo data (any layout)",
        description="Write BraTS-like synthetic demo data in a BraTS layout.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, metavar="OUT", help="the data folder to write")
    parser.add_argument("--cases", type=int, default=DEFAULT_DEMO.cases,
                        help=f"number of cases (default {DEFAULT_DEMO.cases})")
    parser.add_argument("--seed", type=int, default=DEFAULT_DEMO.seed,
                        help=f"seed of the set (default {DEFAULT_DEMO.seed})")
    parser.add_argument("--layout", choices=[r.value for r in DEMO_LAYOUTS],
                        default=DEFAULT_DEMO.layout.value,
                        help=f"BraTS layout (default {DEFAULT_DEMO.layout.value})")
    parser.add_argument("--shortcut", type=float, default=DEFAULT_DEMO.shortcut, metavar="S",
                        help=f"shortcut strength in [0, 1] (default {DEFAULT_DEMO.shortcut})")
    parser.add_argument("--hgg-fraction", type=float, default=DEFAULT_DEMO.hgg_fraction, metavar="F",
                        help=f"share of HGG cases (default {DEFAULT_DEMO.hgg_fraction})")
    parser.add_argument("--shape", type=int, nargs=3, default=list(DEFAULT_DEMO.shape),
                        metavar=("X", "Y", "Z"), help="volume size in voxels (default 240 240 155)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty OUT that is not a demo set")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def _prepare_out(out: Path, force: bool) -> str:
    """Check OUT may be written; clear a previous demo set. Returns what was there."""
    if out.exists() and not out.is_dir():
        raise DemoDataError("exists and is not a folder", out)
    if not out.exists() or not any(out.iterdir()):
        return "new"
    if read_marker(out) is not None:  # a previous demo set, finished or interrupted
        remove_demo_set(out)
        return "replaced"
    if not force:
        raise DemoDataError("folder is not empty and is not a demo data set; choose another "
                            "folder or pass --force to write into it", out)
    return "forced"


def summary(out: Path, seconds: float, previous: str) -> dict[str, Any]:
    """Machine-readable summary of the set just written."""
    marker = read_marker(out) or {"config": {}, "cases": []}
    cases = marker["cases"]
    return {
        "data": str(out), "previous": previous, "seconds": round(seconds, 2),
        "config": marker["config"], "cases": len(cases),
        "hgg": sum(c["grade"] == "HGG" for c in cases), "lgg": sum(c["grade"] == "LGG" for c in cases),
        "with_shortcut": sum(bool(c["shortcut"]["present"]) for c in cases),
    }


def run(args: argparse.Namespace) -> int:
    """Generate the set, with progress on stderr and a summary on stdout."""
    config = DemoConfig(cases=args.cases, seed=args.seed, layout=args.layout, shortcut=args.shortcut,
                        shape=tuple(args.shape), hgg_fraction=args.hgg_fraction, workers=args.jobs)
    previous = _prepare_out(args.out, args.force)
    start = time.perf_counter()
    with progress_bar("demo-data", total=config.cases) as bar:
        generate_demo(args.out, config, progress=progress_callback(bar))
    info = summary(args.out, time.perf_counter() - start, previous)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"wrote {info['cases']} demo case(s) ({info['hgg']} HGG, {info['lgg']} LGG; shortcut "
              f"S={config.shortcut} in {info['with_shortcut']}) as {config.layout.value} to "
              f"{info['data']} in {info['seconds']:.1f} s")
    return 0
