"""``lrpstudio inspect DATA``: list the cases of a BraTS folder and every problem found."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.data.case import CaseRef
from lrpstudio.core.data.discovery import count_by_status, discover, parse_release
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, Release
from lrpstudio.core.data.loading import single_volume_ref
from lrpstudio.core.data.validation import check_case_files
from lrpstudio.core.errors import InputError, Problem

_EXAMPLES = """\
examples:
  lrpstudio inspect ~/data/MICCAI_BraTS_2019_Data_Training
  lrpstudio inspect ~/data/BraTS2021 --grades grades.csv
  lrpstudio inspect ~/data/BraTS2024-GLI --release brats2024 --json > report.json
  lrpstudio inspect ~/data/BraTS2021/BraTS2021_00012 --quick
  lrpstudio inspect scan_flair.nii.gz

Grades come from HGG/ and LGG/ folders (2018/2019), name_mapping.csv (2020), or a CSV
with the columns case,grade (--grades FILE; a grades.csv in DATA is read by itself).
Cases without a grade are listed as unlabelled: usable for review, excluded from training.
Exit status: 0 when at least one case is usable, 2 otherwise (or when DATA is missing).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``inspect`` sub-command."""
    parser = subparsers.add_parser(
        "inspect", help="list cases, grades, label conventions and every problem",
        description="Find the BraTS cases in DATA (2018/2019, 2020, 2021, 2023+ layouts, "
        ".nii/.nii.gz/.nrrd/.mha/.mhd), check every file, and report each case and every "
        "problem with its file.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", metavar="DATA", type=Path,
                        help="a BraTS data folder, one case folder, or one volume file")
    parser.add_argument("--json", action="store_true",
                        help='print {"cases": [...], "problems": [...]} as JSON on stdout')
    parser.add_argument("--grades", metavar="FILE", type=Path,
                        help="CSV with columns case,grade (HGG or LGG); overrides other sources")
    parser.add_argument("--release", metavar="R",
                        choices=[r.value for r in Release if r is not Release.SINGLE],
                        help="force a release where file names allow several, e.g. brats2024 "
                        "for 2023-named data whose label 4 is resection cavity")
    parser.add_argument("--quick", action="store_true",
                        help="read file headers only (fast; skips NaN/inf and label checks)")
    parser.set_defaults(handler=run)


def _inspect_file(path: Path, release: str | None) -> tuple[list[CaseRef], list[Problem]]:
    """A single volume file: the same checks as for a case, on that file."""
    ref = single_volume_ref(path, None, parse_release(release))
    check = check_case_files(ref.id, ref.files, ref.release, LABEL_CONVENTIONS[ref.release],
                             deep=True, seg_expected=False)
    case = CaseRef(ref.id, None, ref.release, ref.label_convention, ref.folder, ref.files,
                   tuple(check.problems), single_volume=True)
    return [case], list(check.problems)


def _short(path: str | None, root: Path) -> str:
    """A path relative to DATA when it is inside it (tables stay readable)."""
    if path is None:
        return "-"
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def _print_table(cases: list[CaseRef], problems: list[Problem], root: Path) -> None:
    rows = [("case", "grade", "release", "labels", "status")]
    rows += [(c.id, c.grade or "unlabelled", c.release.value, c.label_convention, c.status)
             for c in cases]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    counts = count_by_status(cases)
    print(f"\n{len(cases)} case(s): {counts['ok']} ok, {counts['review only']} review only, "
          f"{counts['unusable']} unusable; {len(problems)} problem(s)")
    if problems:
        print("\nproblems:")
    for p in problems:
        print(f"  [{p.severity}] {p.case or '(data set)'}: {_short(p.as_dict()['file'], root)}: "
              f"{p.problem}")


def run(args: argparse.Namespace) -> int:
    """Inspect DATA; exit 0 when at least one case is usable, else 2."""
    data: Path = args.data
    if not data.exists():
        raise InputError("DATA does not exist", data)
    if data.is_file():
        cases, problems = _inspect_file(data, args.release)
    else:
        quiet = args.json or not sys.stderr.isatty()
        with progress_bar("inspecting", disable=quiet) as bar:
            cases, problems = discover(data, args.grades, release=args.release,
                                       deep=not args.quick, progress=progress_callback(bar))
    root = data if data.is_dir() else data.parent
    if args.json:
        report = {"cases": [c.as_dict() for c in cases],
                  "problems": [p.as_dict() for p in problems],
                  "summary": count_by_status(cases)}
        print(json.dumps(report, indent=2))
    else:
        _print_table(cases, problems, root)
    return 0 if any(c.usable_for_review for c in cases) else 2
